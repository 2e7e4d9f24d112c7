// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {AdaptivePool} from "../../../src/defi/AdaptivePool.sol";
import {IAdaptivePool} from "../../../src/defi/interfaces/IAdaptivePool.sol";
import {LabToken} from "../../../src/defi/LabToken.sol";

/// @notice Deploys an adaptive pool over two lab tokens, with helpers to fund, seed and trade.
abstract contract PoolTestBase is Test {
    LabToken internal t0;
    LabToken internal t1;
    AdaptivePool internal pool;

    address internal owner = makeAddr("owner");
    address internal controller = makeAddr("controller");
    address internal lp = makeAddr("lp");
    address internal trader = makeAddr("trader");

    uint32 internal constant BASE_FEE = 3_000; // 0.3%
    uint64 internal constant K = 2e6; // fee ppm per 1.0 of variance: a variance of 1e-3 adds 2,000 ppm (0.2%)
    uint32 internal constant THRESHOLD = 100_000; // 10%
    uint32 internal constant WINDOW = 600;
    uint32 internal constant COOLDOWN = 300;

    function _bounds() internal pure returns (IAdaptivePool.Bounds memory) {
        return IAdaptivePool.Bounds({minBaseFee: 500, maxBaseFee: 10_000, maxK: 10e6, maxFee: 50_000});
    }

    function _breaker() internal pure returns (IAdaptivePool.Breaker memory) {
        return IAdaptivePool.Breaker({threshold: THRESHOLD, window: WINDOW, cooldown: COOLDOWN});
    }

    function _deployPool() internal {
        vm.warp(1_700_000_000);
        t0 = new LabToken("Token0", "T0");
        t1 = new LabToken("Token1", "T1");
        pool = new AdaptivePool(t0, t1, owner, controller, _bounds(), BASE_FEE, K, _breaker());
        _fund(lp);
        _fund(trader);
    }

    function _fund(address who) internal {
        t0.mint(who, 1e30);
        t1.mint(who, 1e30);
        vm.startPrank(who);
        t0.approve(address(pool), type(uint256).max);
        t1.approve(address(pool), type(uint256).max);
        vm.stopPrank();
    }

    function _seed(uint256 a0, uint256 a1) internal returns (uint256 shares) {
        vm.prank(lp);
        (shares,,) = pool.addLiquidity(a0, a1, 0, lp);
    }

    function _swap(bool zeroForOne, uint256 amountIn) internal returns (uint256) {
        vm.prank(trader);
        return pool.swap(zeroForOne, amountIn, 0, trader);
    }
}
