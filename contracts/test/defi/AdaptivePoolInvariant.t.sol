// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {AdaptivePool} from "../../src/defi/AdaptivePool.sol";
import {IAdaptivePool} from "../../src/defi/interfaces/IAdaptivePool.sol";
import {LabToken} from "../../src/defi/LabToken.sol";
import {PoolTestBase} from "./utils/PoolTestBase.sol";

/// @notice Random swaps, adds, removes and time jumps against one pool.
contract PoolHandler is Test {
    AdaptivePool internal pool;
    LabToken internal t0;
    LabToken internal t1;
    address[] internal actors;
    uint256 public swaps;
    uint256 public trips;
    /// @notice Swaps executed during a pause, and swaps a pause refused.
    uint256 public pausedSwaps;
    uint256 public pausedRefusals;
    /// @notice Set if a swap executed during a pause moved the price further from the TWAP reference, or a pause
    ///         refused a swap with anything but SwapsPaused.
    bool public pauseViolated;

    constructor(AdaptivePool pool_, LabToken t0_, LabToken t1_, address[] memory actors_) {
        pool = pool_;
        t0 = t0_;
        t1 = t1_;
        actors = actors_;
    }

    function swap(uint256 actorSeed, bool zeroForOne, uint256 amountIn) external {
        address a = actors[actorSeed % actors.length];
        amountIn = bound(amountIn, 1, 2e20);
        uint64 until = pool.pausedUntil();
        if (block.timestamp < until) {
            _swapPaused(a, zeroForOne, amountIn, until);
            return;
        }
        vm.prank(a);
        try pool.swap(zeroForOne, amountIn, 0, a) returns (uint256 out) {
            if (out == 0) ++trips;
            else ++swaps;
        } catch {}
    }

    function _swapPaused(address a, bool zeroForOne, uint256 amountIn, uint64 until) internal {
        uint256 before = pool.spotPrice();
        vm.prank(a);
        try pool.swap(zeroForOne, amountIn, 0, a) {
            ++pausedSwaps;
            // the reference this swap was judged against (rolled, if due, by the swap itself)
            uint256 twap = pool.twapPrice();
            if (_dev(pool.spotPrice(), twap) > _dev(before, twap) || pool.pausedUntil() != until) pauseViolated = true;
        } catch (bytes memory err) {
            if (bytes4(err) == IAdaptivePool.SwapsPaused.selector) ++pausedRefusals;
            else if (bytes4(err) != IAdaptivePool.InsufficientOutput.selector) pauseViolated = true;
        }
    }

    function _dev(uint256 p, uint256 twap) internal pure returns (uint256) {
        return (p > twap ? p - twap : twap - p) * 1e6 / twap;
    }

    function add(uint256 actorSeed, uint256 a0, uint256 a1) external {
        address a = actors[actorSeed % actors.length];
        vm.prank(a);
        try pool.addLiquidity(bound(a0, 1, 1e22), bound(a1, 1, 1e22), 0, a) {} catch {}
    }

    function remove(uint256 actorSeed, uint256 shares) external {
        address a = actors[actorSeed % actors.length];
        uint256 bal = pool.sharesOf(a);
        if (bal == 0) return;
        vm.prank(a);
        try pool.removeLiquidity(bound(shares, 1, bal), 0, 0, a) {} catch {}
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 1_000));
    }
}

/// @notice Conservation: the pool's token balances equal its reserves; shares sum to the supply.
contract AdaptivePoolInvariantTest is PoolTestBase {
    PoolHandler internal handler;
    address[] internal actors;

    function setUp() public {
        _deployPool();
        _seed(1e21, 2e21);
        for (uint256 i; i < 3; ++i) {
            address a = address(uint160(0xB000 + i));
            _fund(a);
            actors.push(a);
        }
        actors.push(lp);
        handler = new PoolHandler(pool, t0, t1, actors);
        targetContract(address(handler));
    }

    function invariant_balancesEqualReserves() public view {
        assertEq(t0.balanceOf(address(pool)), pool.reserve0());
        assertEq(t1.balanceOf(address(pool)), pool.reserve1());
    }

    function invariant_sharesSumToSupply() public view {
        uint256 sum = pool.sharesOf(address(0));
        for (uint256 i; i < actors.length; ++i) {
            sum += pool.sharesOf(actors[i]);
        }
        assertEq(sum, pool.totalShares());
    }

    function invariant_pauseOnlyRefusesSwapsAwayFromTwap() public view {
        assertFalse(handler.pauseViolated());
    }

    function invariant_feeWithinBounds() public view {
        assertGe(pool.fee(), pool.baseFee());
        assertLe(pool.fee(), pool.bounds().maxFee);
    }
}
