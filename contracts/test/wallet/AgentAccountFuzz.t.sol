// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAgentAccount} from "../../src/wallet/interfaces/IAgentAccount.sol";
import {TokenCalls} from "../../src/wallet/lib/TokenCalls.sol";
import {WalletTestBase} from "./utils/WalletTestBase.sol";
import {CallRecorder} from "./utils/WalletMocks.sol";

/// Property tests of the agent policy over random amounts, batches, times and arguments.
contract AgentAccountFuzzTest is WalletTestBase {
    function testFuzz_executeAsAgent_perTxCap(uint256 amount) public {
        amount = bound(amount, 0, 1_000e6);
        (bool executed,) = asAgent(usdcTransfer(payee, amount));
        assertEq(executed, amount <= TOKEN_PER_TX);
        assertEq(usdc.balanceOf(payee), executed ? amount : 0);
    }

    /// @notice However a total is split across a batch, it is the total that meets the per-action cap.
    function testFuzz_executeAsAgent_batchTotalMeetsCap(uint256[6] memory parts, uint8 n) public {
        n = uint8(bound(n, 1, 6));
        IAgentAccount.Call[] memory calls = new IAgentAccount.Call[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            parts[i] = bound(parts[i], 0, 60e6);
            total += parts[i];
            calls[i] = transferCall(address(usdc), payee, parts[i]);
        }
        (bool executed,) = asAgent(calls);
        assertEq(executed, total <= TOKEN_PER_TX);
        assertEq(usdc.balanceOf(payee), executed ? total : 0);
    }

    /// @notice Random spends at random times: executed exactly when the account's preview said so, and the
    ///         preview never allows more than the window cap over the trailing window.
    function testFuzz_previewMatchesExecution(uint256 seed) public {
        uint256 spentTotal;
        for (uint256 i; i < 20; ++i) {
            seed = uint256(keccak256(abi.encode(seed, i)));
            vm.warp(block.timestamp + seed % 6 hours);
            uint256 amount = (seed >> 32) % 120e6;
            IAgentAccount.Call[] memory calls = usdcTransfer(payee, amount);
            (IAgentAccount.Refusal r, bool escalate,,) = account.previewAgentCalls(key, calls);
            uint256 before = account.spentInWindow(key, address(usdc));
            (bool executed,) = asAgent(calls);
            assertFalse(escalate);
            assertEq(executed, r == IAgentAccount.Refusal.None);
            if (executed) {
                spentTotal += amount;
                assertLe(before + amount, TOKEN_WINDOW_CAP);
            }
        }
        assertEq(usdc.balanceOf(payee), spentTotal);
    }

    /// @notice Only allowlisted recipients ever receive, whatever the address.
    function testFuzz_recipientAllowlist(address to, uint256 amount) public {
        amount = bound(amount, 1, TOKEN_PER_TX);
        vm.assume(to != address(account) && to != address(0));
        uint256 before = usdc.balanceOf(to);
        (bool executed,) = asAgent(usdcTransfer(to, amount));
        assertEq(executed, to == payee || to == payee2);
        assertEq(usdc.balanceOf(to) - before, executed ? amount : 0);
    }

    /// @notice Any selector other than the allowed ones on an allowed target is refused.
    function testFuzz_selectorAllowlist(bytes4 selector, bytes32 arg) public {
        vm.assume(selector != CallRecorder.ping.selector);
        (bool executed,) = asAgent(one(address(recorder), 0, abi.encodePacked(selector, arg)));
        assertFalse(executed);
        assertEq(recorder.calls(), 0);
    }

    /// @notice A key acts only in [validAfter, validUntil].
    function testFuzz_validityWindow(uint48 validAfter, uint48 span, uint48 at) public {
        validAfter = uint48(bound(validAfter, block.timestamp, block.timestamp + 365 days));
        span = uint48(bound(span, 0, 365 days));
        IAgentAccount.KeyPolicy memory p = defaultPolicy();
        p.validAfter = validAfter;
        p.validUntil = validAfter + span;
        setPolicy(p);
        at = uint48(bound(at, block.timestamp, uint256(validAfter) + span + 10 days));
        vm.warp(at);
        (bool executed,) = asAgent(usdcTransfer(payee, 1));
        assertEq(executed, at >= validAfter && at <= validAfter + span);
    }

    function testFuzz_factory_predictMatchesCreate(address o, uint256 id, address g, bytes32 salt) public {
        vm.assume(o != address(0));
        address predicted = factory.predictAddress(o, id, g, salt);
        assertEq(factory.createAccount(o, id, g, salt), predicted);
        assertEq(factory.createAccount(o, id, g, salt), predicted);
        assertTrue(factory.isAccount(predicted));
    }
}
