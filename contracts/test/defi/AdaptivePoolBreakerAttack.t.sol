// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IAdaptivePool} from "../../src/defi/interfaces/IAdaptivePool.sol";
import {ILabOracle} from "../../src/defi/interfaces/ILabOracle.sol";
import {ILendingMarket} from "../../src/defi/interfaces/ILendingMarket.sol";
import {LabOracle} from "../../src/defi/LabOracle.sol";
import {LendingMarket} from "../../src/defi/LendingMarket.sol";
import {PoolTestBase} from "./utils/PoolTestBase.sol";

/// @notice Regression for the breaker-freeze attack (security review H1): anyone can trip the breaker for free (the
///         tripping swap moves no tokens), and while swaps were all frozen the liquidity calls still rolled the TWAP,
///         so an attacker could push the spot price, freeze arbitrage, roll the pool-sourced oracle to the pushed
///         price and liquidate healthy positions. A pause now refuses only swaps that move away from the TWAP, so
///         arbitrage corrects the price during the pause and the manipulated price does not hold for a window.
contract AdaptivePoolBreakerAttackTest is PoolTestBase {
    LabOracle internal oracle;
    LendingMarket internal market;
    address internal victim = makeAddr("victim");
    address internal attacker = makeAddr("attacker");
    address internal nobody = makeAddr("nobody"); // holds no tokens at all

    uint32 internal constant ATTACK_WINDOW = 1800;
    uint32 internal constant ATTACK_COOLDOWN = 3600;

    function setUp() public {
        _deployPool();
        vm.prank(owner);
        pool.setBreaker(IAdaptivePool.Breaker({threshold: 100_000, window: ATTACK_WINDOW, cooldown: ATTACK_COOLDOWN}));
        _seed(1000e18, 100_000e18); // price 100
        oracle = new LabOracle(pool, owner, owner, ILabOracle.Source.Pool);
        market = new LendingMarket(
            IERC20(address(t0)),
            IERC20(address(t1)),
            oracle,
            owner,
            controller,
            0.8e18,
            0.05e18,
            ILendingMarket.Curve({baseRate: 0.02e18, slope1: 0.1e18, slope2: 1e18, kink: 0.8e18}),
            ILendingMarket.CurveBounds({
                maxBaseRate: 0.1e18, maxSlope1: 0.5e18, maxSlope2: 5e18, minKink: 0.5e18, maxKink: 0.95e18
            })
        );
        _fund(attacker);
        vm.startPrank(lp);
        t1.approve(address(market), type(uint256).max);
        market.supply(1_000_000e18, lp);
        vm.stopPrank();
        t0.mint(victim, 10e18);
        vm.startPrank(victim);
        t0.approve(address(market), type(uint256).max);
        market.supplyCollateral(10e18, victim);
        market.borrow(750e18, victim); // LTV 75% at price 100, liquidatable below 93.75
        vm.stopPrank();
        vm.prank(attacker);
        t1.approve(address(market), type(uint256).max);
    }

    function test_freeTrip_pausesOnlySwapsAwayFromTwap() public {
        assertEq(t0.balanceOf(nobody), 0);
        vm.prank(nobody);
        assertEq(pool.swap(true, 1e30, 0, nobody), 0, "unfunded, not executed, still pauses");
        uint64 until = pool.state().pausedUntil;
        assertGt(until, block.timestamp);
        // spot sits on the reference: any real move is away from it
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.SwapsPaused.selector, until));
        pool.swap(true, 1e18, 0, trader);
    }

    function test_breakerFreeze_cannotHoldManipulatedPriceToLiquidate() public {
        vm.warp(block.timestamp + ATTACK_WINDOW); // window boundary
        // 1. push spot down ~9.5%, inside the band (the swap rolls the reference to 100 first)
        vm.prank(attacker);
        uint256 got = pool.swap(true, 50e18, 0, attacker);
        assertGt(got, 0);
        assertEq(pool.twapPrice(), 100e18);
        assertLt(pool.spotPrice(), 91e18);
        // 2. trip the breaker for free with an unfunded swap
        vm.prank(nobody);
        assertEq(pool.swap(true, 1e30, 0, nobody), 0);
        uint64 until = pool.state().pausedUntil;
        assertEq(until, block.timestamp + ATTACK_COOLDOWN);
        // the attacker cannot push further during the pause
        vm.prank(attacker);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.SwapsPaused.selector, until));
        pool.swap(true, 1e18, 0, attacker);
        // 3. a block later, an arbitrageur buys the cheap token0 back toward the TWAP: it executes during the pause
        vm.warp(block.timestamp + 12);
        vm.prank(trader);
        uint256 arbOut = pool.swap(false, got, 0, trader);
        assertGt(arbOut, 0, "arbitrage toward the TWAP executes while paused");
        assertGt(pool.spotPrice(), 99e18);
        assertLt(pool.spotPrice(), 100e18);
        assertEq(pool.state().pausedUntil, until, "arbitrage neither extends nor lifts the pause");
        // 4. the attacker's dust deposit a window later rolls the TWAP over the corrected price, not the pushed one
        vm.warp(block.timestamp + ATTACK_WINDOW);
        assertLt(block.timestamp, until, "still paused when the reference rolls");
        vm.prank(attacker);
        pool.addLiquidity(1e15, 1e17, 0, attacker);
        uint256 p = oracle.price();
        assertGt(p, 99e18);
        assertLe(p, 100e18);
        // 5. the victim stays healthy: nothing to liquidate
        assertFalse(market.isLiquidatable(victim));
        vm.prank(attacker);
        vm.expectPartialRevert(ILendingMarket.HealthyPosition.selector);
        market.liquidate(victim, type(uint256).max);
    }
}
