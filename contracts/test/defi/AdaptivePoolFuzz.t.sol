// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAdaptivePool} from "../../src/defi/interfaces/IAdaptivePool.sol";
import {PoolTestBase} from "./utils/PoolTestBase.sol";

/// @notice Properties of swaps and liquidity over random sizes: k never decreases, fees accrue to LPs, the breaker
///         keeps executed prices inside its band, and a pause refuses exactly the swaps that move away from the TWAP.
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
            uint256 before = pool.spotPrice();
            uint64 pausedUntil = pool.pausedUntil();
            if (block.timestamp < pausedUntil) {
                // paused: a swap executes iff it does not move the price further from the reference; the reference
                // does not roll here (the loop only warps to the pause's end, before a window has passed)
                assertLt(block.timestamp - pool.obsTimestamp(), WINDOW);
                twap = pool.twapPrice();
                bool away = _devOf(_quotedPrice(zeroForOne, amountIn), twap) > _devOf(before, twap);
                vm.prank(trader);
                if (away) {
                    vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.SwapsPaused.selector, pausedUntil));
                    pool.swap(zeroForOne, amountIn, 0, trader);
                    vm.warp(pausedUntil);
                } else {
                    assertGt(pool.swap(zeroForOne, amountIn, 0, trader), 0, "toward the TWAP executes while paused");
                    assertLe(_devOf(pool.spotPrice(), twap), _devOf(before, twap));
                    assertEq(pool.pausedUntil(), pausedUntil);
                }
                continue;
            }
            uint256 out = _swap(zeroForOne, amountIn);
            uint256 spot = pool.spotPrice();
            twap = pool.twapPrice();
            uint256 dev = _devOf(spot, twap);
            if (out == 0) {
                assertEq(spot, before, "tripped swap left the price alone");
                assertGt(pool.pausedUntil(), block.timestamp);
            } else {
                assertTrue(dev <= THRESHOLD || dev <= _devOf(before, twap), "executed beyond band");
            }
        }
    }

    function _devOf(uint256 p, uint256 twap) internal pure returns (uint256) {
        return (p > twap ? p - twap : twap - p) * 1e6 / twap;
    }

    /// @dev The post-swap spot price of an exact-in swap at the current fee (the pool's `_quote`).
    function _quotedPrice(bool zeroForOne, uint256 amountIn) internal view returns (uint256) {
        uint256 r0 = pool.reserve0();
        uint256 r1 = pool.reserve1();
        uint256 inAfterFee = amountIn * (1e6 - pool.fee()) / 1e6;
        if (zeroForOne) {
            uint256 out = inAfterFee * r1 / (r0 + inAfterFee);
            return (r1 - out) * 1e18 / (r0 + amountIn);
        }
        uint256 out0 = inAfterFee * r0 / (r1 + inAfterFee);
        return (r1 + amountIn) * 1e18 / (r0 - out0);
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
