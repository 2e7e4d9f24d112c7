// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Shared fixture of the agent-account tests: EntryPoint, factory, paymaster, one account with an agent key and a
// default policy over a USDC-like token and the native token, plus policy builders.

import {Test} from "forge-std/Test.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";

import {MachinaEntryPoint} from "../../../src/wallet/MachinaEntryPoint.sol";
import {AgentAccount} from "../../../src/wallet/AgentAccount.sol";
import {AgentAccountFactory} from "../../../src/wallet/AgentAccountFactory.sol";
import {AgentPaymaster} from "../../../src/wallet/AgentPaymaster.sol";
import {IAgentAccount} from "../../../src/wallet/interfaces/IAgentAccount.sol";
import {TokenCalls} from "../../../src/wallet/lib/TokenCalls.sol";
import {WalletTestToken, CallRecorder} from "./WalletMocks.sol";

abstract contract WalletTestBase is Test {
    uint256 internal constant AGENT_ID = 42;
    uint128 internal constant NEVER = type(uint128).max;
    uint128 internal constant TOKEN_PER_TX = 100e6;
    uint128 internal constant TOKEN_WINDOW_CAP = 300e6;
    uint128 internal constant NATIVE_PER_TX = 1 ether;
    uint128 internal constant NATIVE_WINDOW_CAP = 3 ether;
    uint32 internal constant DAY = 1 days;

    MachinaEntryPoint internal entryPoint;
    AgentAccountFactory internal factory;
    AgentPaymaster internal paymaster;
    AgentAccount internal account;
    WalletTestToken internal usdc;
    WalletTestToken internal other;
    CallRecorder internal recorder;

    uint256 internal ownerPk = 0xA11CE;
    uint256 internal keyPk = 0xB0B;
    uint256 internal guardianPk = 0x6A4D;
    address internal owner;
    address internal key;
    address internal guardian;
    address internal payee = makeAddr("payee");
    address internal payee2 = makeAddr("payee2");
    address internal stranger = makeAddr("stranger");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        owner = vm.addr(ownerPk);
        key = vm.addr(keyPk);
        guardian = vm.addr(guardianPk);
        entryPoint = new MachinaEntryPoint();
        factory = new AgentAccountFactory(IEntryPoint(address(entryPoint)));
        paymaster = new AgentPaymaster(IEntryPoint(address(entryPoint)), address(factory), owner);
        account = AgentAccount(payable(factory.createAccount(owner, AGENT_ID, guardian, bytes32(0))));
        usdc = new WalletTestToken("USD Coin");
        other = new WalletTestToken("Other");
        recorder = new CallRecorder();
        usdc.mint(address(account), 1_000_000e6);
        other.mint(address(account), 1_000_000e6);
        vm.deal(address(account), 100 ether);
        vm.prank(owner);
        account.setKey(key, defaultPolicy());
    }

    // ------------------------------------------------------------------------------------------ policy builders

    function noConditions() internal pure returns (IAgentAccount.ParamCondition[] memory) {
        return new IAgentAccount.ParamCondition[](0);
    }

    function rule(address target, bytes4 selector) internal pure returns (IAgentAccount.CallRule memory) {
        return IAgentAccount.CallRule(target, selector, noConditions());
    }

    function recipientRule(address target, bytes4 selector) internal pure returns (IAgentAccount.CallRule memory) {
        return recipientRule(target, selector, 0);
    }

    /// @dev `target.selector` allowed when argument word `param` is an allowlisted recipient.
    function recipientRule(address target, bytes4 selector, uint8 param)
        internal
        pure
        returns (IAgentAccount.CallRule memory r)
    {
        r = IAgentAccount.CallRule(target, selector, new IAgentAccount.ParamCondition[](1));
        r.conditions[0] = IAgentAccount.ParamCondition(param, IAgentAccount.ConditionOp.InRecipients, bytes32(0));
    }

    /// @dev usdc: 100/tx, 300/day; native: 1/tx, 3/day; transfer/approve/3009/permit to allowlisted recipients (payee, payee2)
    ///      on usdc, plain value to payee, recorder.ping; never escalates; no rate limit; valid now, no expiry.
    function defaultPolicy() internal view returns (IAgentAccount.KeyPolicy memory p) {
        p.validAfter = uint48(block.timestamp);
        p.pendingTtl = DAY;
        p.limits = new IAgentAccount.AssetLimit[](2);
        p.limits[0] = IAgentAccount.AssetLimit(address(usdc), TOKEN_PER_TX, TOKEN_WINDOW_CAP, DAY, NEVER);
        p.limits[1] = IAgentAccount.AssetLimit(address(0), NATIVE_PER_TX, NATIVE_WINDOW_CAP, DAY, NEVER);
        p.rules = new IAgentAccount.CallRule[](8);
        p.rules[0] = recipientRule(address(usdc), TokenCalls.TRANSFER);
        p.rules[1] = recipientRule(address(usdc), TokenCalls.APPROVE);
        p.rules[2] = recipientRule(address(usdc), TokenCalls.TRANSFER_WITH_AUTHORIZATION, 1);
        p.rules[3] = recipientRule(address(usdc), TokenCalls.RECEIVE_WITH_AUTHORIZATION, 1);
        p.rules[4] = rule(address(usdc), TokenCalls.TRANSFER_FROM);
        p.rules[5] = rule(payee, bytes4(0));
        p.rules[6] = rule(address(recorder), CallRecorder.ping.selector);
        p.rules[7] = recipientRule(address(usdc), TokenCalls.PERMIT, 1);
        p.recipients = new address[](2);
        p.recipients[0] = payee;
        p.recipients[1] = payee2;
    }

    function setPolicy(IAgentAccount.KeyPolicy memory p) internal {
        vm.prank(owner);
        account.setKey(key, p);
    }

    // ------------------------------------------------------------------------------------------ call builders

    function one(address target, uint256 value, bytes memory data) internal pure returns (IAgentAccount.Call[] memory c) {
        c = new IAgentAccount.Call[](1);
        c[0] = IAgentAccount.Call(target, value, data);
    }

    function transferCall(address token, address to, uint256 amount) internal pure returns (IAgentAccount.Call memory) {
        return IAgentAccount.Call(token, 0, abi.encodeWithSelector(TokenCalls.TRANSFER, to, amount));
    }

    function usdcTransfer(address to, uint256 amount) internal view returns (IAgentAccount.Call[] memory) {
        return one(address(usdc), 0, abi.encodeWithSelector(TokenCalls.TRANSFER, to, amount));
    }

    function asAgent(IAgentAccount.Call[] memory calls) internal returns (bool executed, uint256 pendingId) {
        vm.prank(key);
        return account.executeAsAgent(key, calls);
    }

    function authorize(uint256 value, bytes32 nonce) internal returns (bytes32 digest, uint256 pendingId) {
        vm.prank(key);
        return account.authorizeTokenSignature(key, 0, address(usdc), payee, value, 0, type(uint256).max, nonce);
    }

    function transferAuthDigest(WalletTestToken token, address from, address to, uint256 value, bytes32 nonce)
        internal
        view
        returns (bytes32)
    {
        return token.hashTypedData(
            keccak256(abi.encode(token.TRANSFER_WITH_AUTHORIZATION_TYPEHASH(), from, to, value, 0, type(uint256).max, nonce))
        );
    }

    function expectRefused(IAgentAccount.Refusal reason, address target, bytes4 selector, address asset, uint256 amount)
        internal
    {
        vm.expectEmit(true, true, false, true, address(account));
        emit IAgentAccount.AgentActionRefused(AGENT_ID, key, reason, target, selector, asset, amount);
    }
}
