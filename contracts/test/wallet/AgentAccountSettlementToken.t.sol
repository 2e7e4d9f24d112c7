// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SettlementToken} from "../../src/pay/SettlementToken.sol";
import {IAgentAccount} from "../../src/wallet/interfaces/IAgentAccount.sol";
import {TokenCalls} from "../../src/wallet/lib/TokenCalls.sol";
import {WalletTestBase} from "./utils/WalletTestBase.sol";

/// The x402 client path against the project's own SettlementToken (mUSD): the agent key authorizes an EIP-3009
/// payment through the account's policy, and a facilitator redeems it with the 20-byte key signature.
/// (Depends on contracts/src/pay; skip this file if that folder is broken.)
contract AgentAccountSettlementTokenTest is WalletTestBase {
    SettlementToken internal musd;

    function setUp() public override {
        super.setUp();
        musd = new SettlementToken(owner, true);
        musd.faucet(address(account), 1_000e6);
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.limits[0].asset = address(musd);
        p.limits[0].windowCap = 5e6; // 5 tokens per day
        p.limits[0].perTxCap = 5e6;
        p.limits[0].escalationThreshold = 2e6;
        p.rules[2] = recipientRule(address(musd), TokenCalls.TRANSFER_WITH_AUTHORIZATION, 1);
        p.rules[7] = recipientRule(address(musd), TokenCalls.PERMIT, 1);
        setPolicy(p);
    }

    function _authorize(uint256 value, bytes32 nonce) internal returns (bytes32 digest, uint256 pendingId) {
        vm.prank(key);
        return account.authorizeTokenSignature(key, 0, address(musd), payee, value, 0, block.timestamp + 1 hours, nonce);
    }

    function _redeem(uint256 value, bytes32 nonce) internal {
        musd.transferWithAuthorization(
            address(account), payee, value, 0, block.timestamp + 1 hours, nonce, abi.encodePacked(key)
        );
    }

    function test_settlementToken_paysThreeThenRefusesSixthToken() public {
        for (uint256 i; i < 3; ++i) {
            bytes32 nonce = bytes32(i + 1);
            (bytes32 digest,) = _authorize(1e6, nonce);
            assertTrue(digest != bytes32(0));
            _redeem(1e6, nonce);
        }
        assertEq(musd.balanceOf(payee), 3e6);
        (bytes32 d4,) = _authorize(2e6, bytes32(uint256(4)));
        assertTrue(d4 != bytes32(0), "tokens 4 and 5 fit");
        expectRefused(IAgentAccount.Refusal.WindowCapExceeded, address(0), bytes4(0), address(musd), 1e6);
        (bytes32 d6,) = _authorize(1e6, bytes32(uint256(6)));
        assertEq(d6, bytes32(0), "the 6th token is refused");
        vm.expectRevert();
        _redeem(1e6, bytes32(uint256(6)));
    }

    function test_settlementToken_escalatedPaymentWaitsForOwner() public {
        (bytes32 digest, uint256 pendingId) = _authorize(3e6, bytes32("big"));
        assertEq(digest, bytes32(0));
        assertEq(pendingId, 1);
        vm.expectRevert();
        _redeem(3e6, bytes32("big"));
        vm.prank(owner);
        account.approvePending(pendingId, new IAgentAccount.Call[](0));
        _redeem(3e6, bytes32("big"));
        assertEq(musd.balanceOf(payee), 3e6);
    }

    function test_settlementToken_permitThroughKey() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 permitNonce = bytes32(musd.nonces(address(account)));
        vm.prank(key);
        (bytes32 digest,) = account.authorizeTokenSignature(key, 2, address(musd), payee, 1e6, 0, deadline, permitNonce);
        assertTrue(digest != bytes32(0));
        musd.permit(address(account), payee, 1e6, deadline, abi.encodePacked(key));
        assertEq(musd.allowance(address(account), payee), 1e6);
    }
}
