// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

import {AgentAccount} from "../../src/wallet/AgentAccount.sol";
import {AgentAccountFactory} from "../../src/wallet/AgentAccountFactory.sol";
import {AgentPaymaster} from "../../src/wallet/AgentPaymaster.sol";
import {IAgentAccount} from "../../src/wallet/interfaces/IAgentAccount.sol";
import {WalletTestBase} from "./utils/WalletTestBase.sol";

/// ERC-4337 through a real MachinaEntryPoint (v0.8) with AgentPaymaster sponsoring: the same policy applies to
/// user operations, and key signatures only validate for the key's own agent calls.
contract AgentAccountUserOpTest is WalletTestBase {
    address payable internal bundler = payable(makeAddr("bundler"));

    function setUp() public override {
        super.setUp();
        vm.deal(owner, 100 ether);
        vm.prank(owner);
        paymaster.deposit{value: 10 ether}();
    }

    function _op(address sender, bytes memory callData, bool sponsored)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        op.sender = sender;
        op.nonce = entryPoint.getNonce(sender, 0);
        op.callData = callData;
        op.accountGasLimits = bytes32((uint256(600_000) << 128) | uint256(600_000));
        op.preVerificationGas = 60_000;
        op.gasFees = bytes32((uint256(1 gwei) << 128) | uint256(2 gwei));
        if (sponsored) op.paymasterAndData = abi.encodePacked(address(paymaster), uint128(200_000), uint128(100_000));
    }

    function _sign(PackedUserOperation memory op, uint256 pk) internal view returns (PackedUserOperation memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, entryPoint.getUserOpHash(op));
        op.signature = abi.encodePacked(r, s, v);
        return op;
    }

    function _handle(PackedUserOperation memory op) internal {
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        vm.prank(bundler, bundler);
        entryPoint.handleOps(ops, bundler);
    }

    function _expectFailedOp(string memory reason) internal {
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, reason));
    }

    function _agentCall(address k, IAgentAccount.Call[] memory calls) internal pure returns (bytes memory) {
        return abi.encodeCall(IAgentAccount.executeAsAgent, (k, calls));
    }

    // =================================================================================================== agent

    function test_userOp_agentSponsoredExecutes() public {
        uint256 nativeBefore = address(account).balance;
        PackedUserOperation memory op = _sign(_op(address(account), _agentCall(key, usdcTransfer(payee, 10e6)), true), keyPk);
        vm.recordLogs();
        _handle(op);
        assertEq(usdc.balanceOf(payee), 10e6);
        assertEq(account.spentInWindow(key, address(usdc)), 10e6);
        assertEq(address(account).balance, nativeBefore, "the paymaster paid the gas");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bool sponsored;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(paymaster) && logs[i].topics[0] == AgentPaymaster.Sponsored.selector) {
                sponsored = true;
                assertEq(logs[i].topics[1], bytes32(uint256(uint160(address(account)))));
                assertEq(logs[i].topics[2], bytes32(AGENT_ID));
                assertGt(abi.decode(logs[i].data, (uint256)), 0);
            }
        }
        assertTrue(sponsored);
    }

    function test_userOp_agentAboveCapRefused() public {
        PackedUserOperation memory op =
            _sign(_op(address(account), _agentCall(key, usdcTransfer(payee, 101e6)), true), keyPk);
        expectRefused(IAgentAccount.Refusal.PerTxCapExceeded, address(0), bytes4(0), address(usdc), 101e6);
        _handle(op);
        assertEq(usdc.balanceOf(payee), 0);
    }

    function test_userOp_agentAuthorizesTokenSignature() public {
        bytes memory cd = abi.encodeCall(
            IAgentAccount.authorizeTokenSignature, (key, 0, address(usdc), payee, 3e6, 0, type(uint256).max, bytes32("n"))
        );
        _handle(_sign(_op(address(account), cd, true), keyPk));
        bytes32 d = transferAuthDigest(usdc, address(account), payee, 3e6, bytes32("n"));
        assertTrue(account.signatureAuthorized(key, d));
    }

    function test_userOp_revokedKeyFailsValidation() public {
        vm.prank(owner);
        account.revokeKey(key);
        PackedUserOperation memory op = _sign(_op(address(account), _agentCall(key, usdcTransfer(payee, 1e6)), true), keyPk);
        _expectFailedOp("AA24 signature error");
        _handle(op);
    }

    function test_userOp_frozenFailsValidation() public {
        vm.prank(guardian);
        account.freeze();
        PackedUserOperation memory op = _sign(_op(address(account), _agentCall(key, usdcTransfer(payee, 1e6)), true), keyPk);
        _expectFailedOp("AA24 signature error");
        _handle(op);
    }

    function test_userOp_expiredKeyFailsValidation() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.validUntil = uint48(block.timestamp + 10);
        setPolicy(p);
        vm.warp(block.timestamp + 11);
        PackedUserOperation memory op = _sign(_op(address(account), _agentCall(key, usdcTransfer(payee, 1e6)), true), keyPk);
        _expectFailedOp("AA22 expired or not due");
        _handle(op);
    }

    function test_userOp_notYetValidKeyFailsValidation() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.validAfter = uint48(block.timestamp + 60);
        setPolicy(p);
        PackedUserOperation memory op = _sign(_op(address(account), _agentCall(key, usdcTransfer(payee, 1e6)), true), keyPk);
        _expectFailedOp("AA22 expired or not due");
        _handle(op);
        vm.warp(block.timestamp + 60);
        _handle(op);
        assertEq(usdc.balanceOf(payee), 1e6, "valid from validAfter inclusive");
    }

    function test_userOp_agentWithoutPaymasterFails() public {
        PackedUserOperation memory op = _sign(_op(address(account), _agentCall(key, usdcTransfer(payee, 1e6)), false), keyPk);
        _expectFailedOp("AA24 signature error");
        _handle(op);
    }

    function test_userOp_agentCannotCallOwnerFunctions() public {
        bytes memory cd = abi.encodeCall(IAgentAccount.execute, (address(usdc), 0, abi.encodeWithSignature("transfer(address,uint256)", key, 1e12)));
        PackedUserOperation memory op = _sign(_op(address(account), cd, true), keyPk);
        _expectFailedOp("AA24 signature error");
        _handle(op);
    }

    function test_userOp_agentCannotActForAnotherKey() public {
        address k2 = makeAddr("k2");
        vm.prank(owner);
        account.setKey(k2, defaultPolicy());
        PackedUserOperation memory op = _sign(_op(address(account), _agentCall(k2, usdcTransfer(payee, 1e6)), true), keyPk);
        _expectFailedOp("AA24 signature error");
        _handle(op);
    }

    function test_userOp_replayOnOtherChainFails() public {
        PackedUserOperation memory op = _sign(_op(address(account), _agentCall(key, usdcTransfer(payee, 1e6)), true), keyPk);
        uint256 chainId = block.chainid;
        vm.chainId(chainId + 1);
        _expectFailedOp("AA24 signature error");
        _handle(op);
        vm.chainId(chainId);
        _handle(op);
        assertEq(usdc.balanceOf(payee), 1e6);
        // …and never twice on the same chain (EntryPoint nonce).
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA25 invalid account nonce"));
        _handle(op);
    }

    // =================================================================================================== owner

    function test_userOp_ownerExecutesPayingItsGas() public {
        bytes memory cd = abi.encodeCall(IAgentAccount.execute, (address(usdc), 0, abi.encodeWithSignature("transfer(address,uint256)", stranger, 500e6)));
        uint256 before = address(account).balance;
        _handle(_sign(_op(address(account), cd, false), ownerPk));
        assertEq(usdc.balanceOf(stranger), 500e6);
        assertLt(address(account).balance, before);
    }

    function test_userOp_ownerCreatesAccountThroughInitCode() public {
        address predicted = factory.predictAddress(owner, 9, guardian, bytes32("fresh"));
        bytes memory cd = abi.encodeCall(IAgentAccount.setGuardian, (stranger));
        PackedUserOperation memory op = _op(predicted, cd, true);
        op.initCode = abi.encodePacked(address(factory), abi.encodeCall(AgentAccountFactory.createAccount, (owner, 9, guardian, bytes32("fresh"))));
        _handle(_sign(op, ownerPk));
        assertTrue(factory.isAccount(predicted));
        assertEq(AgentAccount(payable(predicted)).guardian(), stranger);
    }

    // =================================================================================================== guards

    function test_paymaster_rejectsForeignSender() public {
        AgentAccountFactory otherFactory = new AgentAccountFactory(IEntryPoint(address(entryPoint)));
        address foreign = otherFactory.createAccount(owner, 1, guardian, bytes32(0));
        vm.deal(foreign, 1 ether);
        PackedUserOperation memory op = _sign(_op(foreign, abi.encodeCall(IAgentAccount.setGuardian, (stranger)), true), ownerPk);
        vm.expectRevert(
            abi.encodeWithSelector(
                IEntryPoint.FailedOpWithRevert.selector,
                0,
                "AA33 reverted",
                abi.encodeWithSelector(AgentPaymaster.NotAnAgentAccount.selector, foreign)
            )
        );
        _handle(op);
    }

    function test_paymaster_ownerAndFactory() public view {
        assertEq(paymaster.owner(), owner);
        assertEq(address(paymaster.factory()), address(factory));
        assertEq(address(paymaster.entryPoint()), address(entryPoint));
        assertEq(paymaster.getDeposit(), 10 ether);
    }

    function test_validateUserOp_revertsNotFromEntryPoint() public {
        PackedUserOperation memory op = _op(address(account), "", false);
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotFromEntryPoint.selector, stranger));
        vm.prank(stranger);
        account.validateUserOp(op, bytes32(0), 0);
    }
}
