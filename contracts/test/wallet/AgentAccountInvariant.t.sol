// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAgentAccount} from "../../src/wallet/interfaces/IAgentAccount.sol";
import {WalletTestBase} from "./utils/WalletTestBase.sol";
import {AgentHandler} from "./utils/AgentHandler.sol";

/// Invariants over random sequences of agent-key actions, owner freezes/revocations and time jumps: spend never
/// exceeds a cap in ANY window (checked against the handler's timestamped reference model), nothing outside the
/// allowlist ever runs, nothing runs while frozen, revoked or expired, and the rate limit holds in every window.
contract AgentAccountInvariantTest is WalletTestBase {
    uint32 internal constant WINDOW = 1 hours;
    uint32 internal constant RATE = 12;
    uint32 internal constant RATE_WINDOW = 20 minutes;

    AgentHandler internal handler;
    uint256 internal usdcStart;
    uint256 internal nativeStart;
    uint256 internal otherStart;

    function setUp() public override {
        super.setUp();
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.limits[0].window = WINDOW;
        p.limits[1].window = WINDOW;
        p.rateLimit = RATE;
        p.rateWindow = RATE_WINDOW;
        p.validUntil = uint48(block.timestamp + 2 days);
        setPolicy(p);
        handler = new AgentHandler(account, usdc, other, recorder, key, owner, guardian, payee, p);
        usdcStart = usdc.balanceOf(address(account));
        nativeStart = address(account).balance;
        otherStart = other.balanceOf(address(account));
        targetContract(address(handler));
    }

    /// @dev For every spend time t, the model's total in [t, t + WINDOW) is within the cap: the maximum over all
    ///      intervals is reached at an interval starting at some spend.
    function _maxWindowTotal(address asset) internal view returns (uint256 worst) {
        uint256 n = handler.spendCount();
        for (uint256 i; i < n; ++i) {
            AgentHandler.Spend memory a = handler.spendAt(i);
            if (a.asset != asset) continue;
            uint256 total;
            for (uint256 j = i; j < n; ++j) {
                AgentHandler.Spend memory b = handler.spendAt(j);
                if (b.asset == asset && b.time < a.time + WINDOW) total += b.amount;
            }
            if (total > worst) worst = total;
        }
    }

    /// @notice Caps: per action, per rolling window (every interval), and the account's bookkeeping vs. the model;
    ///         real outflow never exceeds the counted spends.
    function invariant_capsHoldInEveryWindow() public view {
        assertLe(_maxWindowTotal(address(usdc)), TOKEN_WINDOW_CAP, "usdc window cap");
        assertLe(_maxWindowTotal(address(0)), NATIVE_WINDOW_CAP, "native window cap");
        uint256 n = handler.spendCount();
        uint256 exact;
        for (uint256 i; i < n; ++i) {
            AgentHandler.Spend memory s = handler.spendAt(i);
            assertLe(s.amount, s.asset == address(0) ? NATIVE_PER_TX : TOKEN_PER_TX, "per-action cap");
            if (s.asset == address(usdc) && s.time + WINDOW > block.timestamp) exact += s.amount;
        }
        // The account's own view never reports less than the exact model for the window ending now.
        if (!handler.revoked()) assertGe(account.spentInWindow(key, address(usdc)), exact, "account under-counts");
        // Tokens leave only through counted spends (transfers, approvals later pulled, redeemed authorizations).
        assertLe(usdcStart - usdc.balanceOf(address(account)), handler.modelUsdcOut(), "usdc outflow");
        assertEq(nativeStart - address(account).balance, handler.modelNativeOut(), "native outflow");
    }

    /// @notice Nothing outside the allowlist ever runs, nothing runs while frozen, revoked or expired, and the rate
    ///         limit holds in every interval.
    function invariant_nothingForbiddenBlockedOrTooFrequent() public view {
        assertEq(handler.forbiddenExecuted(), 0, "forbidden call executed");
        assertEq(other.balanceOf(address(account)), otherStart);
        assertEq(usdc.balanceOf(handler.attacker()), 0);
        assertEq(usdc.allowance(address(account), handler.attacker()), 0);
        assertEq(handler.attacker().balance, 0);
        assertEq(account.guardian(), guardian);
        assertEq(recorder.calls(), 0);
        assertEq(handler.actedWhileBlocked(), 0, "acted while frozen, revoked or expired");
        uint256 n = handler.actionCount();
        for (uint256 i; i < n; ++i) {
            uint256 t = handler.actionAt(i);
            uint256 count;
            for (uint256 j = i; j < n && handler.actionAt(j) < t + RATE_WINDOW; ++j) {
                ++count;
            }
            assertLe(count, RATE, "rate limit");
        }
    }
}
