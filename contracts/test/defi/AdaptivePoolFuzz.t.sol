// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAdaptivePool} from "../../src/defi/interfaces/IAdaptivePool.sol";
import {PoolTestBase} from "./utils/PoolTestBase.sol";

/// @notice Properties of swaps and liquidity over random sizes: k never decreases, fees accrue to LPs, the breaker
///         keeps executed prices inside its band.
contract AdaptivePoolFuzzTest is PoolTestBase {
    function setUp() public {
        _deployPool();
    }

    function testFuzz_swap_kNeverDecreases(uint256 r0, uint256 r1, uint256 amountIn, bool zeroForOne) public {
        r0 = bound(r0, 1e9, 1e27);
        r1 = bound(r1, 1e9, 1e27);
        amountIn = bound(amountIn, 1, 1e27);
        vm.prank(owner);
        pool.setBreaker(IAdaptivePool.Breaker({threshold: 0, window: WINDOW, cooldown: COOLDOWN}));
        _seed(r0, r1);
        uint256 kBefore = pool.reserve0() * pool.reserve1();
        vm.prank(trader);
        try pool.swap(zeroForOne, amountIn, 0, trader) {
            assertGe(pool.reserve0() * pool.reserve1(), kBefore);
        } catch (bytes memory err) {
            assertEq(bytes4(err), IAdaptivePool.InsufficientOutput.selector);
        }
        assertEq(t0.balanceOf(address(pool)), pool.reserve0());
        assertEq(t1.balanceOf(address(pool)), pool.reserve1());
    }

    function testFuzz_swap_feesAccrueToLps(uint256 amountIn, uint256 rounds) public {
        amountIn = bound(amountIn, 1e15, 5e19);
        rounds = bound(rounds, 1, 5);
        uint256 shares = _seed(1e21, 1e21);
        uint256 rootK = 1e21; // sqrt(r0 * r1) at the start
        for (uint256 i; i < rounds; ++i) {
            uint256 out = _swap(true, amountIn);
            if (out > 0) _swap(false, out);
        }
        // value per share measured as sqrt(k)/supply grows with fees
        uint256 rootAfter = _sqrt(pool.reserve0() * pool.reserve1());
        assertGe(rootAfter, rootK);
        vm.prank(lp);
        (uint256 a0, uint256 a1) = pool.removeLiquidity(shares, 0, 0, lp);
        // the LP held shares/1e21 of the pool, whose sqrt(k) started at 1e21: it gets back at least its share of it
        assertGe(_sqrt(a0 * a1), shares);
    }

    function testFuzz_breaker_executedPricesStayInBand(uint256 seed) public {
        _seed(1e21, 1e21);
        uint256 twap = pool.twapPrice();
        for (uint256 i; i < 12; ++i) {
            seed = uint256(keccak256(abi.encode(seed, i)));
            bool zeroForOne = seed & 1 == 0;
            uint256 amountIn = bound(seed >> 8, 1e16, 3e20);
            if (block.timestamp < pool.pausedUntil()) {
                vm.prank(trader);
                vm.expectPartialRevert(IAdaptivePool.SwapsPaused.selector);
                pool.swap(zeroForOne, amountIn, 0, trader);
                vm.warp(pool.pausedUntil());
                continue;
            }
            uint256 before = pool.spotPrice();
            uint256 out = _swap(zeroForOne, amountIn);
            uint256 spot = pool.spotPrice();
            twap = pool.twapPrice();
            uint256 dev = (spot > twap ? spot - twap : twap - spot) * 1e6 / twap;
            if (out == 0) {
                assertEq(spot, before, "tripped swap left the price alone");
                assertGt(pool.pausedUntil(), block.timestamp);
            } else {
                uint256 devBefore = (before > twap ? before - twap : twap - before) * 1e6 / twap;
                assertTrue(dev <= THRESHOLD || dev <= devBefore, "executed beyond band");
            }
        }
    }

    function testFuzz_addRemove_roundTripNeverProfits(uint256 a0, uint256 a1) public {
        _seed(1e21, 3e21);
        a0 = bound(a0, 1e6, 1e24);
        a1 = bound(a1, 1e6, 1e24);
        vm.prank(trader);
        try pool.addLiquidity(a0, a1, 0, trader) returns (uint256 shares, uint256 in0, uint256 in1) {
            vm.prank(trader);
            (uint256 out0, uint256 out1) = pool.removeLiquidity(shares, 0, 0, trader);
            assertLe(out0, in0);
            assertLe(out1, in1);
        } catch (bytes memory err) {
            assertEq(bytes4(err), IAdaptivePool.InsufficientLiquidity.selector);
        }
    }

    function _sqrt(uint256 x) internal pure returns (uint256 z) {
        if (x == 0) return 0;
        z = x;
        uint256 y = (x + 1) / 2;
        while (y < z) {
            z = y;
            y = (x / y + y) / 2;
        }
    }
}
