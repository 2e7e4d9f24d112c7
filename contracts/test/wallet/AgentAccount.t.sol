// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {AgentAccount} from "../../src/wallet/AgentAccount.sol";
import {IAgentAccount} from "../../src/wallet/interfaces/IAgentAccount.sol";
import {TokenCalls} from "../../src/wallet/lib/TokenCalls.sol";
import {WalletTestBase} from "./utils/WalletTestBase.sol";
import {CallRecorder, WalletTestNFT, WalletTestMulti} from "./utils/WalletMocks.sol";

/// Unit tests of AgentAccount: owner functions, agent-key policy (one test per refusal reason), pending approvals.
contract AgentAccountTest is WalletTestBase {
    // =================================================================================================== setup

    function test_initialize_setsOwnerAgentGuardian() public view {
        assertEq(account.owner(), owner);
        assertEq(account.agentId(), AGENT_ID);
        assertEq(account.guardian(), guardian);
        assertFalse(account.frozen());
        assertEq(address(account.entryPoint()), address(entryPoint));
        assertEq(account.pendingCount(), 0);
    }

    function test_initialize_revertsTwice() public {
        vm.expectRevert(IAgentAccount.AlreadyInitialized.selector);
        account.initialize(stranger, 1, stranger);
    }

    function test_initialize_implementationLocked() public {
        AgentAccount impl = AgentAccount(payable(factory.implementation()));
        vm.expectRevert(IAgentAccount.AlreadyInitialized.selector);
        impl.initialize(stranger, 1, stranger);
    }

    // =================================================================================================== owner

    function test_execute_ownerCallsTarget() public {
        vm.expectEmit(true, true, false, true, address(account));
        emit IAgentAccount.OwnerExecuted(AGENT_ID, address(recorder), 1 wei, CallRecorder.ping.selector);
        vm.prank(owner);
        bytes memory ret = account.execute(address(recorder), 1 wei, abi.encodeCall(CallRecorder.ping, (41)));
        assertEq(abi.decode(ret, (uint256)), 42);
        assertEq(recorder.calls(), 1);
        assertEq(recorder.lastValue(), 1 wei);
    }

    function test_execute_revertsForStranger() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotOwnerOrEntryPoint.selector, stranger));
        vm.prank(stranger);
        account.execute(address(recorder), 0, abi.encodeCall(CallRecorder.ping, (1)));
    }

    function test_execute_revertsForAgentKey() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotOwnerOrEntryPoint.selector, key));
        vm.prank(key);
        account.execute(address(usdc), 0, abi.encodeWithSelector(TokenCalls.TRANSFER, key, 1));
    }

    function test_execute_bubblesFailure() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentAccount.CallFailed.selector, 0, abi.encodeWithSignature("Error(string)", "recorder failed")
            )
        );
        vm.prank(owner);
        account.execute(address(recorder), 0, abi.encodeCall(CallRecorder.fail, ()));
    }

    function test_executeBatch_runsAll() public {
        IAgentAccount.Call[] memory calls = new IAgentAccount.Call[](2);
        calls[0] = transferCall(address(usdc), stranger, 500e6);
        calls[1] = IAgentAccount.Call(address(recorder), 0, abi.encodeCall(CallRecorder.ping, (1)));
        vm.prank(owner);
        account.executeBatch(calls);
        assertEq(usdc.balanceOf(stranger), 500e6);
        assertEq(recorder.calls(), 1);
    }

    function test_executeBatch_revertsWithIndex() public {
        IAgentAccount.Call[] memory calls = new IAgentAccount.Call[](2);
        calls[0] = transferCall(address(usdc), stranger, 1);
        calls[1] = IAgentAccount.Call(address(recorder), 0, abi.encodeCall(CallRecorder.fail, ()));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAgentAccount.CallFailed.selector, 1, abi.encodeWithSignature("Error(string)", "recorder failed")
            )
        );
        vm.prank(owner);
        account.executeBatch(calls);
    }

    function test_setKey_storesPolicyAndEmits() public {
        address k2 = makeAddr("k2");
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.validUntil = uint48(block.timestamp + 30 days);
        p.rateLimit = 10;
        p.rateWindow = 3600;
        vm.expectEmit(true, true, false, true, address(account));
        emit IAgentAccount.KeySet(AGENT_ID, k2, p.validAfter, p.validUntil, keccak256(abi.encode(p)));
        vm.prank(owner);
        account.setKey(k2, p);
        (IAgentAccount.KeyPolicy memory got, bool revoked) = account.keyPolicy(k2);
        assertFalse(revoked);
        assertEq(keccak256(abi.encode(got)), keccak256(abi.encode(p)), "policy round-trips exactly");
    }

    function test_setKey_replacesPolicy() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.rules = new IAgentAccount.CallRule[](1);
        p.rules[0] = rule(address(recorder), CallRecorder.ping.selector);
        setPolicy(p);
        expectRefused(IAgentAccount.Refusal.TargetNotAllowed, address(usdc), TokenCalls.TRANSFER, address(0), 0);
        (bool executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertFalse(executed);
        (IAgentAccount.KeyPolicy memory got,) = account.keyPolicy(key);
        assertEq(got.rules.length, 1);
    }

    function test_setKey_revertsForStranger() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotOwnerOrEntryPoint.selector, stranger));
        vm.prank(stranger);
        account.setKey(stranger, p);
    }

    function test_setKey_revertsInvalidPolicy() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        _expectInvalid(address(0), p, "key is zero or the account");
        _expectInvalid(address(account), p, "key is zero or the account");

        p = defaultPolicy();
        p.validUntil = p.validAfter - 1;
        _expectInvalid(key, p, "validUntil before validAfter");

        p = defaultPolicy();
        p.rateLimit = 1;
        _expectInvalid(key, p, "rateWindow is zero");

        p = defaultPolicy();
        p.limits[0].window = 0;
        _expectInvalid(key, p, "limit window is zero");

        p = defaultPolicy();
        p.limits[1].asset = address(usdc);
        _expectInvalid(key, p, "duplicate limit asset");

        p = defaultPolicy();
        p.rules[1] = p.rules[0];
        _expectInvalid(key, p, "duplicate rule");

        p = defaultPolicy();
        p.rules[0].target = address(account);
        _expectInvalid(key, p, "rule targets the account");

        p = defaultPolicy();
        p.recipients[1] = p.recipients[0];
        _expectInvalid(key, p, "duplicate recipient");
    }

    function _expectInvalid(address k, IAgentAccount.KeyPolicy memory p, string memory reason) private {
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.InvalidPolicy.selector, reason));
        vm.prank(owner);
        account.setKey(k, p);
    }

    function test_revokeKey_blocksKey() public {
        vm.expectEmit(true, true, false, true, address(account));
        emit IAgentAccount.KeyRevoked(AGENT_ID, key);
        vm.prank(owner);
        account.revokeKey(key);
        (, bool revoked) = account.keyPolicy(key);
        assertTrue(revoked);
        expectRefused(IAgentAccount.Refusal.KeyRevoked, address(0), bytes4(0), address(0), 0);
        (bool executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertFalse(executed);
        assertEq(usdc.balanceOf(payee), 0);
    }

    function test_revokeKey_revertsUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.KeyNotFound.selector, stranger));
        vm.prank(owner);
        account.revokeKey(stranger);
    }

    function test_revokeKey_revertsForStranger() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotOwnerOrEntryPoint.selector, stranger));
        vm.prank(stranger);
        account.revokeKey(key);
    }

    function test_setGuardian_ownerOnly() public {
        vm.expectEmit(true, true, false, true, address(account));
        emit IAgentAccount.GuardianSet(AGENT_ID, stranger);
        vm.prank(owner);
        account.setGuardian(stranger);
        assertEq(account.guardian(), stranger);
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotOwnerOrEntryPoint.selector, guardian));
        vm.prank(guardian);
        account.setGuardian(guardian);
    }

    function test_freeze_byGuardian() public {
        vm.expectEmit(true, true, false, true, address(account));
        emit IAgentAccount.Frozen(AGENT_ID, guardian);
        vm.prank(guardian);
        account.freeze();
        assertTrue(account.frozen());
    }

    function test_freeze_byOwner() public {
        vm.prank(owner);
        account.freeze();
        assertTrue(account.frozen());
    }

    function test_freeze_revertsForStranger() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotOwnerOrGuardian.selector, key));
        vm.prank(key);
        account.freeze();
    }

    function test_unfreeze_ownerOnly() public {
        vm.prank(guardian);
        account.freeze();
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotOwnerOrEntryPoint.selector, guardian));
        vm.prank(guardian);
        account.unfreeze();
        vm.expectEmit(true, true, false, true, address(account));
        emit IAgentAccount.Unfrozen(AGENT_ID, owner);
        vm.prank(owner);
        account.unfreeze();
        assertFalse(account.frozen());
        (bool executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertTrue(executed);
    }

    // =================================================================================================== receiving

    function test_receive_native() public {
        vm.deal(stranger, 1 ether);
        vm.prank(stranger);
        (bool ok,) = address(account).call{value: 1 ether}("");
        assertTrue(ok);
        assertEq(address(account).balance, 101 ether);
    }

    function test_receive_erc721AndErc1155() public {
        WalletTestNFT nft = new WalletTestNFT();
        nft.mint(address(account), 7);
        assertEq(nft.ownerOf(7), address(account));
        WalletTestMulti multi = new WalletTestMulti();
        multi.mint(address(account), 1, 5);
        assertEq(multi.balanceOf(address(account), 1), 5);
    }

    function test_supportsInterface() public view {
        assertTrue(account.supportsInterface(type(IERC1271).interfaceId));
        assertTrue(account.supportsInterface(type(IERC721Receiver).interfaceId));
        assertTrue(account.supportsInterface(type(IERC1155Receiver).interfaceId));
        assertTrue(account.supportsInterface(0x01ffc9a7));
        assertFalse(account.supportsInterface(0xdeadbeef));
    }

    // =================================================================================================== agent: executes

    function test_executeAsAgent_transferWithinCaps() public {
        IAgentAccount.Call[] memory calls = usdcTransfer(payee, 40e6);
        vm.expectEmit(true, true, true, true, address(account));
        emit IAgentAccount.AgentSpend(AGENT_ID, key, address(usdc), 40e6, 40e6);
        vm.expectEmit(true, true, true, true, address(account));
        emit IAgentAccount.AgentActionExecuted(AGENT_ID, key, keccak256(abi.encode(calls)), 1);
        (bool executed, uint256 pendingId) = asAgent(calls);
        assertTrue(executed);
        assertEq(pendingId, 0);
        assertEq(usdc.balanceOf(payee), 40e6);
        assertEq(account.spentInWindow(key, address(usdc)), 40e6);
    }

    function test_executeAsAgent_nativeValue() public {
        (bool executed,) = asAgent(one(payee, 0.5 ether, ""));
        assertTrue(executed);
        assertEq(payee.balance, 0.5 ether);
        assertEq(account.spentInWindow(key, address(0)), 0.5 ether);
    }

    function test_executeAsAgent_callWithoutSpend() public {
        (bool executed,) = asAgent(one(address(recorder), 0, abi.encodeCall(CallRecorder.ping, (1))));
        assertTrue(executed);
        assertEq(recorder.calls(), 1);
    }

    function test_executeAsAgent_revertsForStranger() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotKeyOrEntryPoint.selector, stranger, key));
        vm.prank(stranger);
        account.executeAsAgent(key, usdcTransfer(payee, 1));
    }

    function test_executeAsAgent_callFailureRevertsWholeAction() public {
        IAgentAccount.Call[] memory calls = new IAgentAccount.Call[](2);
        calls[0] = transferCall(address(usdc), payee, 10e6);
        calls[1] = transferCall(address(usdc), payee, 2_000_000e6); // more than the balance... but over caps too
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.limits[0].perTxCap = NEVER;
        p.limits[0].windowCap = NEVER;
        setPolicy(p);
        vm.expectRevert();
        asAgent(calls);
        assertEq(usdc.balanceOf(payee), 0);
        assertEq(account.spentInWindow(key, address(usdc)), 0, "spend rolled back with the action");
    }

    function test_executeAsAgent_approveCountsAsSpend() public {
        (bool executed,) = asAgent(one(address(usdc), 0, abi.encodeWithSelector(TokenCalls.APPROVE, payee, 90e6)));
        assertTrue(executed);
        assertEq(usdc.allowance(address(account), payee), 90e6);
        assertEq(account.spentInWindow(key, address(usdc)), 90e6);
    }

    function test_executeAsAgent_transferFromAccountCounts() public {
        vm.prank(owner);
        account.execute(address(usdc), 0, abi.encodeWithSelector(TokenCalls.APPROVE, address(account), 1_000e6));
        bytes memory data = abi.encodeWithSelector(TokenCalls.TRANSFER_FROM, address(account), payee, 70e6);
        (bool executed,) = asAgent(one(address(usdc), 0, data));
        assertTrue(executed);
        assertEq(account.spentInWindow(key, address(usdc)), 70e6);
        data = abi.encodeWithSelector(TokenCalls.TRANSFER_FROM, address(account), payee, 31e6);
        data = abi.encodeWithSelector(TokenCalls.TRANSFER_FROM, address(account), payee, 231e6);
        expectRefused(IAgentAccount.Refusal.PerTxCapExceeded, address(0), bytes4(0), address(usdc), 231e6);
        asAgent(one(address(usdc), 0, data));
    }

    function test_executeAsAgent_transferFromOtherIsNoSpend() public {
        usdc.mint(stranger, 500e6);
        vm.prank(stranger);
        usdc.approve(address(account), 500e6);
        bytes memory data = abi.encodeWithSelector(TokenCalls.TRANSFER_FROM, stranger, payee, 500e6);
        (bool executed,) = asAgent(one(address(usdc), 0, data));
        assertTrue(executed);
        assertEq(account.spentInWindow(key, address(usdc)), 0);
    }

    function test_executeAsAgent_windowRollsExactly() public {
        for (uint256 i; i < 3; ++i) {
            (bool ok,) = asAgent(usdcTransfer(payee, 100e6));
            assertTrue(ok);
        }
        uint256 t0 = block.timestamp;
        vm.warp(t0 + DAY - 1);
        expectRefused(IAgentAccount.Refusal.WindowCapExceeded, address(0), bytes4(0), address(usdc), 1);
        (bool executed,) = asAgent(usdcTransfer(payee, 1));
        assertFalse(executed);
        vm.warp(t0 + DAY);
        (executed,) = asAgent(usdcTransfer(payee, 100e6));
        assertTrue(executed);
        assertEq(account.spentInWindow(key, address(usdc)), 100e6);
    }

    function test_executeAsAgent_conditionOps() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.rules = new IAgentAccount.CallRule[](1);
        p.rules[0] = IAgentAccount.CallRule(address(recorder), CallRecorder.setPair.selector, new IAgentAccount.ParamCondition[](4));
        p.rules[0].conditions[0] = IAgentAccount.ParamCondition(0, IAgentAccount.ConditionOp.NotEqual, bytes32(uint256(uint160(stranger))));
        p.rules[0].conditions[1] = IAgentAccount.ParamCondition(1, IAgentAccount.ConditionOp.LessOrEqual, bytes32(uint256(10)));
        p.rules[0].conditions[2] = IAgentAccount.ParamCondition(1, IAgentAccount.ConditionOp.GreaterOrEqual, bytes32(uint256(2)));
        p.rules[0].conditions[3] = IAgentAccount.ParamCondition(0, IAgentAccount.ConditionOp.Equal, bytes32(uint256(uint160(payee))));
        setPolicy(p);
        (bool ok,) = asAgent(one(address(recorder), 0, abi.encodeCall(CallRecorder.setPair, (payee, 5))));
        assertTrue(ok);
        uint256[3] memory bad = [uint256(1), 11, 0];
        for (uint256 i; i < bad.length; ++i) {
            expectRefused(IAgentAccount.Refusal.ConditionFailed, address(recorder), CallRecorder.setPair.selector, address(0), 0);
            (ok,) = asAgent(one(address(recorder), 0, abi.encodeCall(CallRecorder.setPair, (payee, bad[i]))));
            assertFalse(ok);
        }
        expectRefused(IAgentAccount.Refusal.ConditionFailed, address(recorder), CallRecorder.setPair.selector, address(0), 0);
        (ok,) = asAgent(one(address(recorder), 0, abi.encodeCall(CallRecorder.setPair, (stranger, 5))));
        assertFalse(ok);
        // Too short to hold argument 1: the condition cannot hold.
        expectRefused(IAgentAccount.Refusal.ConditionFailed, address(recorder), CallRecorder.setPair.selector, address(0), 0);
        (ok,) = asAgent(one(address(recorder), 0, abi.encodeWithSelector(CallRecorder.setPair.selector, payee)));
        assertFalse(ok);
        assertEq(recorder.calls(), 1);
    }

    // =================================================================================================== agent: refusals

    function test_refusal_frozen() public {
        vm.prank(guardian);
        account.freeze();
        expectRefused(IAgentAccount.Refusal.Frozen, address(0), bytes4(0), address(0), 0);
        (bool executed, uint256 pendingId) = asAgent(usdcTransfer(payee, 1e6));
        assertFalse(executed);
        assertEq(pendingId, 0);
        assertEq(usdc.balanceOf(payee), 0);
    }

    function test_refusal_unknownKey() public {
        vm.expectEmit(true, true, false, true, address(account));
        emit IAgentAccount.AgentActionRefused(AGENT_ID, stranger, IAgentAccount.Refusal.UnknownKey, address(0), bytes4(0), address(0), 0);
        vm.prank(stranger);
        (bool executed,) = account.executeAsAgent(stranger, usdcTransfer(payee, 1e6));
        assertFalse(executed);
    }

    function test_refusal_keyRevoked() public {
        vm.prank(owner);
        account.revokeKey(key);
        expectRefused(IAgentAccount.Refusal.KeyRevoked, address(0), bytes4(0), address(0), 0);
        asAgent(usdcTransfer(payee, 1e6));
        assertEq(usdc.balanceOf(payee), 0);
    }

    function test_refusal_keyNotYetValid() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.validAfter = uint48(block.timestamp + 1);
        setPolicy(p);
        expectRefused(IAgentAccount.Refusal.KeyNotYetValid, address(0), bytes4(0), address(0), 0);
        (bool executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertFalse(executed);
        vm.warp(block.timestamp + 1);
        (executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertTrue(executed);
    }

    function test_refusal_keyExpired() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.validUntil = uint48(block.timestamp + 10);
        setPolicy(p);
        vm.warp(block.timestamp + 10);
        (bool executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertTrue(executed, "valid until inclusive");
        vm.warp(block.timestamp + 1);
        expectRefused(IAgentAccount.Refusal.KeyExpired, address(0), bytes4(0), address(0), 0);
        (executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertFalse(executed);
    }

    function test_refusal_rateLimited() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.rateLimit = 2;
        p.rateWindow = 100;
        setPolicy(p);
        uint256 t0 = block.timestamp;
        (bool executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertTrue(executed);
        vm.warp(t0 + 50);
        (executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertTrue(executed);
        vm.warp(t0 + 99);
        expectRefused(IAgentAccount.Refusal.RateLimited, address(0), bytes4(0), address(0), 0);
        (executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertFalse(executed);
        vm.warp(t0 + 100);
        (executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertTrue(executed, "the first action left the window");
        vm.warp(t0 + 149);
        (executed,) = asAgent(usdcTransfer(payee, 1e6));
        assertFalse(executed, "actions at t0+50 and t0+100 are in (t0+49, t0+149]");
    }

    function test_refusal_targetNotAllowed() public {
        expectRefused(IAgentAccount.Refusal.TargetNotAllowed, address(other), TokenCalls.TRANSFER, address(0), 0);
        (bool executed,) = asAgent(one(address(other), 0, abi.encodeWithSelector(TokenCalls.TRANSFER, payee, 1)));
        assertFalse(executed);
    }

    function test_refusal_targetIsTheAccount() public {
        bytes memory data = abi.encodeCall(IAgentAccount.setGuardian, (key));
        expectRefused(IAgentAccount.Refusal.TargetNotAllowed, address(account), IAgentAccount.setGuardian.selector, address(0), 0);
        (bool executed,) = asAgent(one(address(account), 0, data));
        assertFalse(executed);
        assertEq(account.guardian(), guardian);
    }

    function test_refusal_selectorNotAllowed() public {
        bytes memory data = abi.encodeWithSelector(TokenCalls.INCREASE_ALLOWANCE, payee, 1);
        expectRefused(IAgentAccount.Refusal.SelectorNotAllowed, address(usdc), TokenCalls.INCREASE_ALLOWANCE, address(0), 0);
        (bool executed,) = asAgent(one(address(usdc), 0, data));
        assertFalse(executed);
        // 1–3 bytes of calldata have no selector.
        expectRefused(IAgentAccount.Refusal.SelectorNotAllowed, address(usdc), bytes4(0), address(0), 0);
        (executed,) = asAgent(one(address(usdc), 0, hex"a905"));
        assertFalse(executed);
    }

    function test_refusal_conditionFailed() public {
        expectRefused(IAgentAccount.Refusal.ConditionFailed, address(usdc), TokenCalls.TRANSFER, address(0), 0);
        (bool executed,) = asAgent(usdcTransfer(stranger, 1e6));
        assertFalse(executed);
        // An address word with dirty high bits is not a listed recipient.
        bytes memory data = abi.encodeWithSelector(TokenCalls.TRANSFER, uint256(uint160(payee)) | (1 << 200), 1e6);
        expectRefused(IAgentAccount.Refusal.ConditionFailed, address(usdc), TokenCalls.TRANSFER, address(0), 0);
        (executed,) = asAgent(one(address(usdc), 0, data));
        assertFalse(executed);
    }

    function test_refusal_assetNotAllowed() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.rules[5] = rule(address(other), TokenCalls.TRANSFER);
        setPolicy(p);
        expectRefused(IAgentAccount.Refusal.AssetNotAllowed, address(0), bytes4(0), address(other), 5);
        (bool executed,) = asAgent(one(address(other), 0, abi.encodeWithSelector(TokenCalls.TRANSFER, payee, 5)));
        assertFalse(executed);
        // value on a call whose target allows it, with no native limit: refused too
        p = defaultPolicy();
        p.limits = new IAgentAccount.AssetLimit[](1);
        p.limits[0] = IAgentAccount.AssetLimit(address(usdc), TOKEN_PER_TX, TOKEN_WINDOW_CAP, DAY, NEVER);
        setPolicy(p);
        expectRefused(IAgentAccount.Refusal.AssetNotAllowed, address(0), bytes4(0), address(0), 1);
        (executed,) = asAgent(one(payee, 1, ""));
        assertFalse(executed);
    }

    function test_refusal_perTxCapExceeded() public {
        expectRefused(IAgentAccount.Refusal.PerTxCapExceeded, address(0), bytes4(0), address(usdc), 100e6 + 1);
        (bool executed,) = asAgent(usdcTransfer(payee, 100e6 + 1));
        assertFalse(executed);
        expectRefused(IAgentAccount.Refusal.PerTxCapExceeded, address(0), bytes4(0), address(0), 1 ether + 1);
        (executed,) = asAgent(one(payee, 1 ether + 1, ""));
        assertFalse(executed);
    }

    function test_refusal_perTxCapAppliesToBatchTotal() public {
        IAgentAccount.Call[] memory calls = new IAgentAccount.Call[](3);
        calls[0] = transferCall(address(usdc), payee, 40e6);
        calls[1] = IAgentAccount.Call(address(usdc), 0, abi.encodeWithSelector(TokenCalls.APPROVE, payee, 40e6));
        calls[2] = transferCall(address(usdc), payee, 40e6);
        expectRefused(IAgentAccount.Refusal.PerTxCapExceeded, address(0), bytes4(0), address(usdc), 120e6);
        (bool executed,) = asAgent(calls);
        assertFalse(executed);
        assertEq(usdc.balanceOf(payee), 0);
    }

    function test_refusal_windowCapExceeded() public {
        asAgent(usdcTransfer(payee, 100e6));
        asAgent(usdcTransfer(payee, 100e6));
        asAgent(usdcTransfer(payee, 99e6));
        expectRefused(IAgentAccount.Refusal.WindowCapExceeded, address(0), bytes4(0), address(usdc), 2e6);
        (bool executed,) = asAgent(usdcTransfer(payee, 2e6));
        assertFalse(executed);
        assertEq(usdc.balanceOf(payee), 299e6);
    }

    /// @dev The log never fills under one policy (merging keeps ≤ 35 live entries); it can only fill when the owner
    ///      keeps lengthening the window while the key spends. The account then refuses rather than forget spends.
    function test_refusal_spendLogFull() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.limits[0].perTxCap = NEVER;
        p.limits[0].windowCap = NEVER;
        uint256 t0 = block.timestamp;
        uint256 t = t0;
        for (uint256 i; i <= 40; ++i) {
            // Step so far that no earlier entry merges, with a window long enough that none expires.
            if (i > 0) {
                uint256 step = (t - t0 + 32) / 31 + 1;
                t += step;
                vm.warp(t);
                p.limits[0].window = uint32(32 * (step - 1));
            }
            setPolicy(p);
            if (i == 40) break;
            (bool ok,) = asAgent(usdcTransfer(payee, 1));
            assertTrue(ok);
        }
        expectRefused(IAgentAccount.Refusal.SpendLogFull, address(0), bytes4(0), address(usdc), 1);
        (bool executed,) = asAgent(usdcTransfer(payee, 1));
        assertFalse(executed);
    }

    // =================================================================================================== escalation

    function _escalatingPolicy() internal {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.limits[0].escalationThreshold = 50e6;
        setPolicy(p);
    }

    function test_escalation_queuesAction() public {
        _escalatingPolicy();
        IAgentAccount.Call[] memory calls = usdcTransfer(payee, 60e6);
        bytes32 h = keccak256(abi.encode(calls));
        vm.expectEmit(true, true, true, true, address(account));
        emit IAgentAccount.ActionQueued(AGENT_ID, 1, key, 0, h, uint48(block.timestamp + DAY));
        (bool executed, uint256 pendingId) = asAgent(calls);
        assertFalse(executed);
        assertEq(pendingId, 1);
        assertEq(account.pendingCount(), 1);
        IAgentAccount.Pending memory p = account.pending(1);
        assertEq(p.key, key);
        assertEq(p.kind, 0);
        assertEq(uint8(p.status), uint8(IAgentAccount.PendingStatus.Queued));
        assertEq(p.callsHash, h);
        assertEq(usdc.balanceOf(payee), 0);
        assertEq(account.spentInWindow(key, address(usdc)), 0);
        // Within the threshold it runs at once.
        (executed,) = asAgent(usdcTransfer(payee, 50e6));
        assertTrue(executed);
    }

    function test_approvePending_executesAndCounts() public {
        _escalatingPolicy();
        IAgentAccount.Call[] memory calls = usdcTransfer(payee, 60e6);
        (, uint256 pendingId) = asAgent(calls);
        vm.expectEmit(true, true, false, true, address(account));
        emit IAgentAccount.PendingApproved(AGENT_ID, pendingId);
        vm.prank(owner);
        account.approvePending(pendingId, calls);
        assertEq(usdc.balanceOf(payee), 60e6);
        assertEq(account.spentInWindow(key, address(usdc)), 60e6);
        assertEq(uint8(account.pending(pendingId).status), uint8(IAgentAccount.PendingStatus.Approved));
        vm.expectRevert(
            abi.encodeWithSelector(IAgentAccount.PendingNotQueued.selector, pendingId, IAgentAccount.PendingStatus.Approved)
        );
        vm.prank(owner);
        account.approvePending(pendingId, calls);
    }

    function test_approvePending_revertsOnOtherCalls() public {
        _escalatingPolicy();
        (, uint256 pendingId) = asAgent(usdcTransfer(payee, 60e6));
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.PendingCallsMismatch.selector, pendingId));
        vm.prank(owner);
        account.approvePending(pendingId, usdcTransfer(payee, 61e6));
    }

    function test_approvePending_revertsForStranger() public {
        _escalatingPolicy();
        IAgentAccount.Call[] memory calls = usdcTransfer(payee, 60e6);
        (, uint256 pendingId) = asAgent(calls);
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotOwnerOrEntryPoint.selector, key));
        vm.prank(key);
        account.approvePending(pendingId, calls);
    }

    function test_approvePending_revertsUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.UnknownPending.selector, 9));
        vm.prank(owner);
        account.approvePending(9, new IAgentAccount.Call[](0));
    }

    function test_approvePending_revertsWhenExpired() public {
        _escalatingPolicy();
        IAgentAccount.Call[] memory calls = usdcTransfer(payee, 60e6);
        (, uint256 pendingId) = asAgent(calls);
        vm.warp(block.timestamp + DAY + 1);
        assertEq(uint8(account.pending(pendingId).status), uint8(IAgentAccount.PendingStatus.Expired));
        vm.expectRevert(
            abi.encodeWithSelector(IAgentAccount.PendingNotQueued.selector, pendingId, IAgentAccount.PendingStatus.Expired)
        );
        vm.prank(owner);
        account.approvePending(pendingId, calls);
    }

    function test_rejectPending() public {
        _escalatingPolicy();
        (, uint256 pendingId) = asAgent(usdcTransfer(payee, 60e6));
        vm.expectEmit(true, true, false, true, address(account));
        emit IAgentAccount.PendingRejected(AGENT_ID, pendingId);
        vm.prank(owner);
        account.rejectPending(pendingId);
        assertEq(uint8(account.pending(pendingId).status), uint8(IAgentAccount.PendingStatus.Rejected));
        vm.expectRevert(
            abi.encodeWithSelector(IAgentAccount.PendingNotQueued.selector, pendingId, IAgentAccount.PendingStatus.Rejected)
        );
        vm.prank(owner);
        account.rejectPending(pendingId);
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.UnknownPending.selector, 5));
        vm.prank(owner);
        account.rejectPending(5);
    }

    function test_rejectPending_revertsForStranger() public {
        _escalatingPolicy();
        (, uint256 pendingId) = asAgent(usdcTransfer(payee, 60e6));
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.NotOwnerOrEntryPoint.selector, guardian));
        vm.prank(guardian);
        account.rejectPending(pendingId);
    }

    function test_expirePending() public {
        _escalatingPolicy();
        (, uint256 pendingId) = asAgent(usdcTransfer(payee, 60e6));
        vm.expectRevert(
            abi.encodeWithSelector(IAgentAccount.PendingNotQueued.selector, pendingId, IAgentAccount.PendingStatus.Queued)
        );
        account.expirePending(pendingId);
        vm.warp(block.timestamp + DAY + 1);
        vm.expectEmit(true, true, false, true, address(account));
        emit IAgentAccount.PendingExpired(AGENT_ID, pendingId);
        vm.prank(stranger);
        account.expirePending(pendingId);
        assertEq(uint8(account.pending(pendingId).status), uint8(IAgentAccount.PendingStatus.Expired));
        vm.expectRevert(abi.encodeWithSelector(IAgentAccount.UnknownPending.selector, 3));
        account.expirePending(3);
    }

    function test_escalation_zeroTtlNeverExpires() public {
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.limits[0].escalationThreshold = 0;
        p.pendingTtl = 0;
        setPolicy(p);
        (, uint256 pendingId) = asAgent(usdcTransfer(payee, 1));
        assertEq(account.pending(pendingId).expiresAt, type(uint48).max);
    }

    // =================================================================================================== preview

    function test_previewAgentCalls_matchesVerdicts() public {
        _escalatingPolicy();
        (IAgentAccount.Refusal r, bool escalate, address asset, uint256 amount) =
            account.previewAgentCalls(key, usdcTransfer(payee, 10e6));
        assertEq(uint8(r), 0);
        assertFalse(escalate);
        (r, escalate,,) = account.previewAgentCalls(key, usdcTransfer(payee, 60e6));
        assertEq(uint8(r), 0);
        assertTrue(escalate);
        (r, escalate, asset, amount) = account.previewAgentCalls(key, usdcTransfer(payee, 101e6));
        assertEq(uint8(r), uint8(IAgentAccount.Refusal.PerTxCapExceeded));
        assertFalse(escalate);
        assertEq(asset, address(usdc));
        assertEq(amount, 101e6);
        (r,,,) = account.previewAgentCalls(stranger, usdcTransfer(payee, 1));
        assertEq(uint8(r), uint8(IAgentAccount.Refusal.UnknownKey));
    }

    // =================================================================================================== reentrancy

    function test_reentrancy_guardBlocksNestedAgentCall() public {
        // The key is a contract whose call back into executeAsAgent happens mid-action.
        ReentryProbe probe = new ReentryProbe(account);
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.rules[6] = rule(address(probe), ReentryProbe.poke.selector);
        vm.prank(owner);
        account.setKey(address(probe), p);
        vm.prank(address(probe));
        (bool executed,) = account.executeAsAgent(address(probe), one(address(probe), 0, abi.encodeCall(ReentryProbe.poke, ())));
        assertTrue(executed);
        assertEq(probe.lastError(), ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        assertEq(usdc.balanceOf(address(probe)), 0);
    }
}

/// @dev An agent key (a contract) that, when the account calls it, tries to re-enter executeAsAgent.
contract ReentryProbe {
    IAgentAccount private immutable _account;
    bytes4 public lastError;

    constructor(IAgentAccount account_) {
        _account = account_;
    }

    function poke() external {
        IAgentAccount.Call[] memory calls = new IAgentAccount.Call[](1);
        calls[0] = IAgentAccount.Call(msg.sender, 0, "");
        try _account.executeAsAgent(address(this), calls) {}
        catch (bytes memory reason) {
            lastError = bytes4(reason);
        }
    }
}
