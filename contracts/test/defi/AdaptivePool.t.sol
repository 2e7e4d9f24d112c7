// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {AdaptivePool} from "../../src/defi/AdaptivePool.sol";
import {IAdaptivePool} from "../../src/defi/interfaces/IAdaptivePool.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {LabToken} from "../../src/defi/LabToken.sol";
import {PoolTestBase} from "./utils/PoolTestBase.sol";

/// @notice A token that calls back into the pool from `transferFrom` once armed.
contract ReentrantToken is LabToken {
    AdaptivePool internal target;

    constructor() LabToken("Evil", "EVL") {}

    function arm(AdaptivePool p) external {
        target = p;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (address(target) != address(0)) target.swap(false, 1e18, 0, from);
        return super.transferFrom(from, to, value);
    }
}

/// @notice One test per behaviour and per error of the adaptive pool.
contract AdaptivePoolTest is PoolTestBase {
    function setUp() public {
        _deployPool();
    }

    // ---------------------------------------------------------------- constructor

    function test_constructor_setsParameters() public view {
        assertEq(address(pool.token0()), address(t0));
        assertEq(pool.controller(), controller);
        assertEq(pool.owner(), owner);
        assertEq(pool.baseFee(), BASE_FEE);
        assertEq(pool.k(), K);
        assertEq(pool.fee(), BASE_FEE);
        assertEq(pool.bounds().maxFee, 50_000);
        assertEq(pool.breaker().window, WINDOW);
    }

    function test_constructor_revertsIdenticalTokens() public {
        vm.expectRevert(IAdaptivePool.InvalidToken.selector);
        new AdaptivePool(t0, t0, owner, controller, _bounds(), BASE_FEE, K, _breaker());
    }

    function test_constructor_revertsZeroToken() public {
        vm.expectRevert(IAdaptivePool.InvalidToken.selector);
        new AdaptivePool(IERC20(address(0)), t1, owner, controller, _bounds(), BASE_FEE, K, _breaker());
    }

    function test_constructor_revertsBaseFeeOutOfBounds() public {
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.BaseFeeOutOfBounds.selector, 20_000, 500, 10_000));
        new AdaptivePool(t0, t1, owner, controller, _bounds(), 20_000, K, _breaker());
    }

    // ---------------------------------------------------------------- liquidity

    function test_addLiquidity_firstDepositLocksMinimum() public {
        uint256 shares = _seed(1e21, 4e21);
        assertEq(shares, 2e21 - 1000);
        assertEq(pool.totalShares(), 2e21);
        assertEq(pool.sharesOf(address(0)), 1000);
        assertEq(pool.reserve0(), 1e21);
        assertEq(pool.reserve1(), 4e21);
        assertEq(pool.twapPrice(), 4e18);
        assertEq(pool.spotPrice(), 4e18);
    }

    function test_addLiquidity_proportionalTakesRatio() public {
        _seed(1e21, 4e21);
        vm.prank(lp);
        (uint256 shares, uint256 a0, uint256 a1) = pool.addLiquidity(1e20, 1e24, 0, lp);
        assertEq(shares, 2e20);
        assertEq(a0, 1e20);
        assertEq(a1, 4e20);
        assertEq(t0.balanceOf(address(pool)), pool.reserve0());
        assertEq(t1.balanceOf(address(pool)), pool.reserve1());
    }

    function test_addLiquidity_emitsEvents() public {
        vm.expectEmit(address(pool));
        emit IAdaptivePool.LiquidityAdded(lp, lp, 1e21, 4e21, 2e21 - 1000);
        _seed(1e21, 4e21);
    }

    function test_addLiquidity_revertsZeroAmount() public {
        vm.expectRevert(IAdaptivePool.ZeroAmount.selector);
        pool.addLiquidity(0, 1, 0, lp);
    }

    function test_addLiquidity_revertsZeroRecipient() public {
        vm.expectRevert(IAdaptivePool.InvalidToken.selector);
        pool.addLiquidity(1e18, 1e18, 0, address(0));
    }

    function test_addLiquidity_revertsTinyFirstDeposit() public {
        vm.prank(lp);
        vm.expectRevert(IAdaptivePool.InsufficientLiquidity.selector);
        pool.addLiquidity(1000, 1000, 0, lp);
    }

    function test_addLiquidity_revertsDustDeposit() public {
        _seed(1e21, 4e21);
        vm.prank(lp);
        vm.expectRevert(IAdaptivePool.InsufficientLiquidity.selector);
        pool.addLiquidity(1, 1, 0, lp);
    }

    function test_addLiquidity_revertsBelowMinShares() public {
        vm.prank(lp);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.InsufficientShares.selector, 1e18 - 1000, 1e18));
        pool.addLiquidity(1e18, 1e18, 1e18, lp);
    }

    function test_removeLiquidity_paysProRata() public {
        uint256 shares = _seed(1e21, 4e21);
        uint256 before0 = t0.balanceOf(lp);
        vm.prank(lp);
        (uint256 a0, uint256 a1) = pool.removeLiquidity(shares / 2, 0, 0, lp);
        assertEq(a0, (shares / 2) * 1e21 / 2e21);
        assertEq(a1, (shares / 2) * 4e21 / 2e21);
        assertEq(t0.balanceOf(lp), before0 + a0);
        assertEq(pool.sharesOf(lp), shares - shares / 2);
    }

    function test_removeLiquidity_revertsZero() public {
        vm.expectRevert(IAdaptivePool.ZeroAmount.selector);
        pool.removeLiquidity(0, 0, 0, lp);
    }

    function test_removeLiquidity_revertsZeroRecipient() public {
        vm.expectRevert(IAdaptivePool.InvalidToken.selector);
        pool.removeLiquidity(1, 0, 0, address(0));
    }

    function test_removeLiquidity_revertsOverBalance() public {
        _seed(1e21, 4e21);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.SharesExceedBalance.selector, 1, 0));
        pool.removeLiquidity(1, 0, 0, trader);
    }

    function test_removeLiquidity_revertsDust() public {
        _seed(1e18, 1e24);
        vm.prank(lp);
        vm.expectRevert(IAdaptivePool.InsufficientLiquidity.selector);
        pool.removeLiquidity(1, 0, 0, lp);
    }

    function test_removeLiquidity_revertsBelowMinimum() public {
        uint256 shares = _seed(1e21, 4e21);
        vm.prank(lp);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.InsufficientOutput.selector, 5e20 - 250, 1e21));
        pool.removeLiquidity(shares / 2, 1e21, 0, lp);
        vm.prank(lp);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.InsufficientOutput.selector, 2e21 - 1000, 1e22));
        pool.removeLiquidity(shares / 2, 0, 1e22, lp);
    }

    // ---------------------------------------------------------------- swaps

    function test_swap_constantProductWithFee() public {
        _seed(1e21, 1e21);
        uint256 out = _swap(true, 1e19);
        uint256 afterFee = uint256(1e19) * (1e6 - uint256(BASE_FEE)) / 1e6;
        assertEq(out, afterFee * 1e21 / (1e21 + afterFee));
        assertEq(pool.reserve0(), 1e21 + 1e19);
        assertEq(pool.reserve1(), 1e21 - out);
        assertEq(t1.balanceOf(address(pool)), pool.reserve1());
    }

    function test_swap_oneForZero() public {
        _seed(1e21, 1e21);
        uint256 out = _swap(false, 1e19);
        assertEq(pool.reserve1(), 1e21 + 1e19);
        assertEq(pool.reserve0(), 1e21 - out);
    }

    function test_swap_raisesFeeWithVolatility() public {
        _seed(1e21, 1e21);
        _swap(true, 3e19);
        uint256 v = pool.variance();
        assertGt(v, 0);
        assertEq(pool.fee(), uint256(BASE_FEE) + uint256(K) * v / 1e18);
        assertGt(pool.fee(), BASE_FEE);
    }

    function test_swap_feeCappedAtMax() public {
        _seed(1e21, 1e21);
        vm.prank(owner);
        pool.setBounds(IAdaptivePool.Bounds({minBaseFee: 500, maxBaseFee: 10_000, maxK: 10e6, maxFee: 10_000}));
        vm.prank(controller);
        pool.setFeeParams(BASE_FEE, 10e6);
        for (uint256 i; i < 6; ++i) {
            _swap(i % 2 == 0, 4e19);
        }
        assertEq(pool.fee(), 10_000);
    }

    function test_swap_emitsEvents() public {
        _seed(1e21, 1e21);
        uint256 afterFee = uint256(1e19) * (1e6 - uint256(BASE_FEE)) / 1e6;
        uint256 out = afterFee * 1e21 / (1e21 + afterFee);
        vm.expectEmit(address(pool));
        emit IAdaptivePool.Swap(trader, trader, true, 1e19, out, BASE_FEE);
        _swap(true, 1e19);
    }

    function test_swap_revertsZeroAmount() public {
        vm.expectRevert(IAdaptivePool.ZeroAmount.selector);
        pool.swap(true, 0, 0, trader);
    }

    function test_swap_revertsZeroRecipient() public {
        vm.expectRevert(IAdaptivePool.InvalidToken.selector);
        pool.swap(true, 1, 0, address(0));
    }

    function test_swap_revertsEmptyPool() public {
        vm.expectRevert(IAdaptivePool.InsufficientLiquidity.selector);
        pool.swap(true, 1, 0, trader);
    }

    function test_swap_revertsBelowMinOut() public {
        _seed(1e21, 1e21);
        vm.prank(trader);
        vm.expectPartialRevert(IAdaptivePool.InsufficientOutput.selector);
        pool.swap(true, 1e18, 1e18, trader);
    }

    function test_swap_revertsZeroOut() public {
        _seed(1e21, 1e21);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.InsufficientOutput.selector, 0, 0));
        pool.swap(true, 1, 0, trader);
    }

    function test_spotPrice_zeroWhenEmpty() public view {
        assertEq(pool.spotPrice(), 0);
    }

    function test_swap_reentrancyBlocked() public {
        ReentrantToken evil = new ReentrantToken();
        AdaptivePool p = new AdaptivePool(evil, t1, owner, controller, _bounds(), BASE_FEE, K, _breaker());
        evil.mint(lp, 1e24);
        vm.startPrank(lp);
        evil.approve(address(p), type(uint256).max);
        t1.approve(address(p), type(uint256).max);
        p.addLiquidity(1e21, 1e21, 0, lp);
        vm.stopPrank();
        evil.arm(p);
        evil.mint(trader, 1e24);
        vm.startPrank(trader);
        evil.approve(address(p), type(uint256).max);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        p.swap(true, 1e18, 0, trader);
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- TWAP

    function test_twap_accumulatesAndRolls() public {
        _seed(1e21, 1e21);
        vm.warp(block.timestamp + 100);
        _swap(true, 1e19);
        assertEq(pool.priceCumulative(), 1e18 * 100);
        assertEq(pool.twapPrice(), 1e18);
        uint256 p1 = pool.spotPrice();
        vm.warp(block.timestamp + WINDOW);
        _swap(false, 1e16);
        uint256 expected = (1e18 * 100 + p1 * WINDOW) / (WINDOW + 100);
        assertEq(pool.twapPrice(), expected);
        assertEq(pool.obsTimestamp(), block.timestamp);
    }

    // ---------------------------------------------------------------- breaker

    function test_breaker_tripsPausesAndRecovers() public {
        _seed(1e21, 1e21);
        uint256 bal = t0.balanceOf(trader);
        vm.expectEmit(true, true, true, false, address(pool));
        emit IAdaptivePool.BreakerTripped(0, 1e18, uint64(block.timestamp + COOLDOWN));
        uint256 out = _swap(true, 2e20); // ~-30% price move
        assertEq(out, 0);
        assertEq(t0.balanceOf(trader), bal);
        assertEq(pool.reserve0(), 1e21);
        assertEq(pool.pausedUntil(), block.timestamp + COOLDOWN);
        assertEq(pool.variance(), 0, "a stopped swap moves no state but the pause");

        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.SwapsPaused.selector, uint64(block.timestamp + COOLDOWN)));
        pool.swap(true, 1e18, 0, trader);

        vm.warp(block.timestamp + COOLDOWN);
        assertGt(_swap(true, 1e19), 0);
    }

    /// @dev Seeds at price 1.0 (the TWAP reference), moves the price ~7.5% down inside the 10% band, then trips the
    ///      breaker with a swap further down; returns the pause's end.
    function _pushAndTrip() internal returns (uint64 until) {
        _seed(1e21, 1e21);
        assertGt(_swap(true, 4e19), 0);
        assertEq(_swap(true, 1e20), 0, "trips");
        until = pool.pausedUntil();
        assertEq(until, block.timestamp + pool.breaker().cooldown);
    }

    function _dev(uint256 p) internal view returns (uint256) {
        uint256 twap = pool.twapPrice();
        return (p > twap ? p - twap : twap - p) * 1e6 / twap;
    }

    function test_breaker_pauseAllowsSwapTowardTwap() public {
        uint64 until = _pushAndTrip();
        vm.warp(block.timestamp + 1);
        uint256 spotBefore = pool.spotPrice();
        uint256 devBefore = _dev(spotBefore);
        uint256 bal = t0.balanceOf(trader);
        vm.expectEmit(true, true, false, false, address(pool));
        emit IAdaptivePool.Swap(trader, trader, false, 1e19, 0, 0);
        uint256 out = _swap(false, 1e19); // price up, toward the reference
        assertGt(out, 0);
        assertEq(t0.balanceOf(trader), bal + out);
        assertGt(pool.spotPrice(), spotBefore);
        assertLt(_dev(pool.spotPrice()), devBefore);
        assertEq(pool.pausedUntil(), until, "an allowed swap neither extends nor lifts the pause");
        assertGt(pool.variance(), 0);
        assertEq(t1.balanceOf(address(pool)), pool.reserve1());
    }

    function test_breaker_pauseBlocksSwapAwayFromTwap() public {
        uint64 until = _pushAndTrip();
        vm.warp(block.timestamp + 1);
        IAdaptivePool.PoolState memory before = pool.state();
        bytes memory paused = abi.encodeWithSelector(IAdaptivePool.SwapsPaused.selector, until);
        // further down: refused, even far inside the band
        vm.prank(trader);
        vm.expectRevert(paused);
        pool.swap(true, 1e18, 0, trader);
        // up past the reference to a larger deviation on the other side: refused too
        vm.prank(trader);
        vm.expectRevert(paused);
        pool.swap(false, 3e20, 0, trader);
        // the refused swaps' accumulation is rolled back with them
        IAdaptivePool.PoolState memory afterRefusals = pool.state();
        assertEq(keccak256(abi.encode(afterRefusals)), keccak256(abi.encode(before)));
    }

    function test_breaker_pauseAllowsSwapThatKeepsDeviation() public {
        _pushAndTrip();
        // a dust swap away from the reference that leaves the ppm deviation where it was is not "further away"
        uint256 devBefore = _dev(pool.spotPrice());
        uint256 out = _swap(true, 1e9);
        assertGt(out, 0);
        assertEq(_dev(pool.spotPrice()), devBefore);
        assertLt(pool.spotPrice(), 1e18);
    }

    function test_breaker_pauseJudgesAgainstReferenceRolledByThisCall() public {
        vm.prank(owner);
        pool.setBreaker(IAdaptivePool.Breaker({threshold: THRESHOLD, window: WINDOW, cooldown: 4 * WINDOW}));
        uint64 until = _pushAndTrip();
        uint256 spot = pool.spotPrice();
        vm.warp(block.timestamp + 2 * WINDOW);
        // this call rolls the reference to the average of the window, exactly the pushed spot price: moving up,
        // toward the old reference of 1.0, now moves away from the new one
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.SwapsPaused.selector, until));
        pool.swap(false, 1e19, 0, trader);
        assertEq(pool.twapPrice(), 1e18, "the refused swap's TWAP roll is rolled back");
        // the roll happens on a liquidity change too; the reference is then the pushed price
        vm.prank(lp);
        pool.addLiquidity(1e18, 1e18, 0, lp);
        assertEq(pool.twapPrice(), spot);
    }

    function test_breaker_pauseRecoversAfterCooldown() public {
        uint64 until = _pushAndTrip();
        vm.warp(until - 1);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.SwapsPaused.selector, until));
        pool.swap(true, 1e18, 0, trader);
        vm.warp(until);
        // away from the reference, inside the band: executes again
        assertGt(_swap(true, 1e18), 0);
        assertEq(pool.pausedUntil(), until);
        // and a swap past the band trips again, with a new pause
        assertEq(_swap(true, 1e20), 0);
        assertEq(pool.pausedUntil(), block.timestamp + COOLDOWN);
    }

    function test_breaker_allowsMoveBackTowardTwap() public {
        _seed(1e21, 1e21);
        _swap(true, 4e19); // within band
        vm.prank(owner);
        pool.setBreaker(IAdaptivePool.Breaker({threshold: 10_000, window: WINDOW, cooldown: COOLDOWN}));
        // now outside a 1% band, but a swap back toward the TWAP is allowed
        assertGt(_swap(false, 1e19), 0);
        assertEq(pool.pausedUntil(), 0);
    }

    function test_breaker_offWhenThresholdZero() public {
        _seed(1e21, 1e21);
        vm.prank(owner);
        pool.setBreaker(IAdaptivePool.Breaker({threshold: 0, window: WINDOW, cooldown: COOLDOWN}));
        assertGt(_swap(true, 5e20), 0);
    }

    // ---------------------------------------------------------------- parameters

    function test_setFeeParams_withinBounds() public {
        vm.expectEmit(address(pool));
        emit IAdaptivePool.FeeParamsSet(controller, 1_000, 5e6);
        vm.prank(controller);
        pool.setFeeParams(1_000, 5e6);
        assertEq(pool.baseFee(), 1_000);
        assertEq(pool.k(), 5e6);
        assertEq(pool.fee(), 1_000);
    }

    function test_setFeeParams_revertsNotController() public {
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.NotController.selector, owner));
        vm.prank(owner);
        pool.setFeeParams(1_000, 0);
    }

    function test_setFeeParams_revertsBaseFeeOutOfBounds() public {
        vm.prank(controller);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.BaseFeeOutOfBounds.selector, 100, 500, 10_000));
        pool.setFeeParams(100, 0);
    }

    function test_setFeeParams_revertsKOutOfBounds() public {
        vm.prank(controller);
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.KOutOfBounds.selector, 11e6, 10e6));
        pool.setFeeParams(1_000, 11e6);
    }

    function test_setBounds_ownerOnly() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, controller));
        vm.prank(controller);
        pool.setBounds(_bounds());
    }

    function test_setBounds_updatesAndCapsFee() public {
        vm.prank(owner);
        pool.setBounds(IAdaptivePool.Bounds({minBaseFee: 0, maxBaseFee: 3_000, maxK: 2e6, maxFee: 3_000}));
        assertEq(pool.bounds().maxFee, 3_000);
        assertEq(pool.fee(), 3_000);
    }

    function test_setBounds_revertsInconsistent() public {
        vm.startPrank(owner);
        vm.expectRevert(IAdaptivePool.InvalidBounds.selector);
        pool.setBounds(IAdaptivePool.Bounds({minBaseFee: 5_000, maxBaseFee: 4_000, maxK: 1, maxFee: 9_000}));
        vm.expectRevert(IAdaptivePool.InvalidBounds.selector);
        pool.setBounds(IAdaptivePool.Bounds({minBaseFee: 0, maxBaseFee: 4_000, maxK: 1, maxFee: 1e6}));
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.BaseFeeOutOfBounds.selector, BASE_FEE, 0, 2_000));
        pool.setBounds(IAdaptivePool.Bounds({minBaseFee: 0, maxBaseFee: 2_000, maxK: 10e6, maxFee: 9_000}));
        vm.expectRevert(abi.encodeWithSelector(IAdaptivePool.KOutOfBounds.selector, K, 1));
        pool.setBounds(IAdaptivePool.Bounds({minBaseFee: 0, maxBaseFee: 4_000, maxK: 1, maxFee: 9_000}));
        vm.stopPrank();
    }

    function test_setBreaker_revertsInvalid() public {
        vm.startPrank(owner);
        vm.expectRevert(IAdaptivePool.InvalidBreaker.selector);
        pool.setBreaker(IAdaptivePool.Breaker({threshold: 1, window: 0, cooldown: 1}));
        vm.expectRevert(IAdaptivePool.InvalidBreaker.selector);
        pool.setBreaker(IAdaptivePool.Breaker({threshold: 1, window: 1, cooldown: 0}));
        vm.expectRevert(IAdaptivePool.InvalidBreaker.selector);
        pool.setBreaker(IAdaptivePool.Breaker({threshold: 1e6, window: 1, cooldown: 1}));
        vm.stopPrank();
    }

    function test_setBreaker_ownerOnly() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, trader));
        vm.prank(trader);
        pool.setBreaker(_breaker());
    }

    function test_setController_replaces() public {
        vm.expectEmit(address(pool));
        emit IAdaptivePool.ControllerSet(trader);
        vm.prank(owner);
        pool.setController(trader);
        assertEq(pool.controller(), trader);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, trader));
        vm.prank(trader);
        pool.setController(trader);
    }

    function test_state_matchesGetters() public {
        _seed(1e21, 2e21);
        _swap(true, 1e19);
        IAdaptivePool.PoolState memory s = pool.state();
        assertEq(s.reserve0, pool.reserve0());
        assertEq(s.reserve1, pool.reserve1());
        assertEq(s.totalShares, pool.totalShares());
        assertEq(s.fee, pool.fee());
        assertEq(s.variance, pool.variance());
        assertEq(s.twapPrice, pool.twapPrice());
        assertEq(s.lastTimestamp, pool.lastTimestamp());
    }
}
