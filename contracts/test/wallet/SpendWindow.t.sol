// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {SpendWindow} from "../../src/wallet/lib/SpendWindow.sol";
import {TokenCalls} from "../../src/wallet/lib/TokenCalls.sol";

/// @dev Exposes the library on its own storage.
contract SpendWindowHarness {
    using SpendWindow for SpendWindow.Log;

    SpendWindow.Log internal _log;

    function inspect(uint256 window) external view returns (uint256 live, bool full) {
        return _log.inspect(window);
    }

    function record(uint256 window, uint256 amount) external returns (uint256) {
        return _log.record(window, amount, false);
    }

    function len() external view returns (uint256) {
        return _log.len;
    }
}

/// The rolling-window log against an exact reference model, and TokenCalls' spend reading.
contract SpendWindowTest is Test {
    SpendWindowHarness internal h;
    uint256[] internal _t;
    uint256[] internal _a;

    function setUp() public {
        h = new SpendWindowHarness();
        vm.warp(1_000_000);
    }

    function _exact(uint256 window) internal view returns (uint256 sum) {
        for (uint256 i; i < _t.length; ++i) {
            if (_t[i] + window > block.timestamp) sum += _a[i];
        }
    }

    function test_spendWindow_expiresExactlyAfterWindow() public {
        h.record(100, 5);
        vm.warp(block.timestamp + 99);
        (uint256 live,) = h.inspect(100);
        assertEq(live, 5);
        vm.warp(block.timestamp + 1);
        (live,) = h.inspect(100);
        assertEq(live, 0);
    }

    function test_spendWindow_mergesWithinGranularity() public {
        h.record(3200, 1); // granularity 3200/32 + 1 = 101 s
        vm.warp(block.timestamp + 100);
        h.record(3200, 1);
        assertEq(h.len(), 1, "merged");
        vm.warp(block.timestamp + 1);
        h.record(3200, 1);
        assertEq(h.len(), 2, "a new entry after the granularity");
    }

    /// @notice Never under-counts the exact window (so a cap check on it is sound), over-counts by at most what was
    ///         spent in the last `window / 32 + 1` seconds before the exact window, and never fills under one window.
    /// forge-config: default.fuzz.runs = 128
    function testFuzz_spendWindow_soundAgainstExactModel(uint256 seed, uint32 window) public {
        window = uint32(bound(window, 1, 30 days));
        for (uint256 i; i < 80; ++i) {
            seed = uint256(keccak256(abi.encode(seed, i)));
            vm.warp(block.timestamp + seed % (uint256(window) / 8 + 2));
            uint256 amount = (seed >> 64) % 1e18;
            (uint256 live, bool full) = h.inspect(window);
            assertFalse(full, "never full under a fixed window");
            uint256 exact = _exact(window);
            assertGe(live, exact, "under-counts");
            h.record(window, amount);
            _t.push(block.timestamp);
            _a.push(amount);
            assertLe(h.len(), 36);
        }
        // Once a whole window (plus granularity) passed, everything is forgotten.
        vm.warp(block.timestamp + uint256(window) + uint256(window) / 32 + 1);
        (uint256 after_,) = h.inspect(window);
        assertEq(after_, 0);
    }

    // ------------------------------------------------------------------------------------------ TokenCalls

    function testFuzz_tokenCalls_spendOf(address to, uint256 amount, address from) public view {
        address self = address(this);
        assertEq(TokenCalls.spendOf(abi.encodeWithSelector(TokenCalls.TRANSFER, to, amount), self), amount);
        assertEq(TokenCalls.spendOf(abi.encodeWithSelector(TokenCalls.APPROVE, to, amount), self), amount);
        assertEq(TokenCalls.spendOf(abi.encodeWithSelector(TokenCalls.INCREASE_ALLOWANCE, to, amount), self), amount);
        uint256 fromSelf = from == self ? amount : 0;
        assertEq(TokenCalls.spendOf(abi.encodeWithSelector(TokenCalls.TRANSFER_FROM, from, to, amount), self), fromSelf);
        assertEq(
            TokenCalls.spendOf(abi.encodeWithSelector(TokenCalls.TRANSFER_WITH_AUTHORIZATION, from, to, amount, 0, 1, bytes32(0), 0, 0, 0), self),
            fromSelf
        );
        assertEq(
            TokenCalls.spendOf(abi.encodeWithSelector(TokenCalls.RECEIVE_WITH_AUTHORIZATION_BYTES, from, to, amount, 0, 1, bytes32(0), ""), self),
            fromSelf
        );
        assertEq(TokenCalls.spendOf(abi.encodeWithSelector(TokenCalls.PERMIT, from, to, amount, 1, 0, 0, 0), self), fromSelf);
        // Truncated arguments of a spend selector count as unbounded.
        assertEq(TokenCalls.spendOf(abi.encodeWithSelector(TokenCalls.TRANSFER, to), self), type(uint256).max);
        assertEq(TokenCalls.spendOf(abi.encodeWithSelector(bytes4(0x12345678), to, amount), self), 0);
        assertEq(TokenCalls.spendOf("", self), 0);
    }

    function test_tokenCalls_selectors() public pure {
        assertEq(TokenCalls.TRANSFER, bytes4(0xa9059cbb));
        assertEq(TokenCalls.APPROVE, bytes4(0x095ea7b3));
        assertEq(TokenCalls.TRANSFER_FROM, bytes4(0x23b872dd));
        assertEq(TokenCalls.TRANSFER_WITH_AUTHORIZATION, bytes4(0xe3ee160e));
        assertEq(TokenCalls.RECEIVE_WITH_AUTHORIZATION, bytes4(0xef55bec6));
        assertEq(TokenCalls.TRANSFER_WITH_AUTHORIZATION_BYTES, bytes4(0xcf092995));
        assertEq(TokenCalls.RECEIVE_WITH_AUTHORIZATION_BYTES, bytes4(0x88b7ab63));
        assertEq(TokenCalls.PERMIT, bytes4(0xd505accf));
    }
}
