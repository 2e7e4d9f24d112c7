// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IAdaptivePool} from "../../src/defi/interfaces/IAdaptivePool.sol";
import {ILabOracle} from "../../src/defi/interfaces/ILabOracle.sol";
import {ILendingMarket} from "../../src/defi/interfaces/ILendingMarket.sol";
import {LabOracle} from "../../src/defi/LabOracle.sol";
import {LendingMarket} from "../../src/defi/LendingMarket.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {LabToken} from "../../src/defi/LabToken.sol";
import {LendingTestBase} from "./utils/LendingTestBase.sol";

/// @notice A debt token that calls back into the market from `transferFrom` once armed.
contract ReentrantLoanToken is LabToken {
    LendingMarket internal target;

    constructor() LabToken("Evil", "EVL") {}

    function arm(LendingMarket m) external {
        target = m;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (address(target) != address(0)) target.supply(1, from);
        return super.transferFrom(from, to, value);
    }
}

/// @notice One test per behaviour and per error of the lending market; accrual and liquidation checked against
///         hand-computed numbers.
contract LendingMarketTest is LendingTestBase {
    function setUp() public {
        _deployMarket();
    }

    function _deploy(
        IERC20 c,
        IERC20 d,
        address o,
        address ctl,
        uint64 lltv_,
        uint64 bonus_,
        ILendingMarket.Curve memory curve_,
        ILendingMarket.CurveBounds memory bounds_
    ) internal returns (LendingMarket) {
        return new LendingMarket(c, d, LabOracle(o), owner, ctl, lltv_, bonus_, curve_, bounds_);
    }

    // ---------------------------------------------------------------- constructor

    function test_constructor_setsParameters() public view {
        assertEq(address(market.collateralToken()), address(collateral));
        assertEq(address(market.debtToken()), address(loan));
        assertEq(address(market.oracle()), address(oracle));
        assertEq(market.owner(), owner);
        assertEq(market.controller(), controller);
        assertEq(market.lltv(), LLTV);
        assertEq(market.liquidationBonus(), BONUS);
        assertEq(market.reserveFactor(), 0);
        assertEq(market.treasury(), owner);
        ILendingMarket.CurveBounds memory b = market.curveBounds();
        assertEq(b.maxSlope2, 5e18);
        assertEq(b.minKink, 0.5e18);
        ILendingMarket.MarketState memory s = market.state();
        assertEq(s.lastAccrual, T0);
        assertEq(s.curve.kink, 0.8e18);
        assertEq(s.curve.baseRate, 0.02e18);
        assertEq(s.totalSupplyAssets, 0);
        assertEq(market.borrowRate(), 0.02e18);
        assertEq(market.utilization(), 0);
    }

    function test_constructor_emitsSetup() public {
        vm.recordLogs();
        _deploy(collateral, loan, address(oracle), controller, LLTV, BONUS, _curve(), _curveBounds());
        // OwnershipTransferred, OracleSet, ControllerSet, CurveBoundsSet, CurveSet, ReserveSet
        assertEq(vm.getRecordedLogs().length, 6);
    }

    function test_constructor_revertsZeroAddresses() public {
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        _deploy(IERC20(address(0)), loan, address(oracle), controller, LLTV, BONUS, _curve(), _curveBounds());
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        _deploy(collateral, IERC20(address(0)), address(oracle), controller, LLTV, BONUS, _curve(), _curveBounds());
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        _deploy(collateral, loan, address(0), controller, LLTV, BONUS, _curve(), _curveBounds());
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        _deploy(collateral, loan, address(oracle), address(0), LLTV, BONUS, _curve(), _curveBounds());
    }

    function test_constructor_revertsZeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new LendingMarket(collateral, loan, oracle, address(0), controller, LLTV, BONUS, _curve(), _curveBounds());
    }

    function test_constructor_revertsInvalidRiskParams() public {
        vm.expectRevert(ILendingMarket.InvalidRiskParams.selector);
        _deploy(loan, loan, address(oracle), controller, LLTV, BONUS, _curve(), _curveBounds());
        vm.expectRevert(ILendingMarket.InvalidRiskParams.selector);
        _deploy(collateral, loan, address(oracle), controller, 0, BONUS, _curve(), _curveBounds());
        vm.expectRevert(ILendingMarket.InvalidRiskParams.selector);
        _deploy(collateral, loan, address(oracle), controller, 1e18, BONUS, _curve(), _curveBounds());
        vm.expectRevert(ILendingMarket.InvalidRiskParams.selector);
        _deploy(collateral, loan, address(oracle), controller, LLTV, 1e18, _curve(), _curveBounds());
    }

    /// @dev Review M1: with lltv * (1 + bonus) >= 1 a borrower at lltv could liquidate itself at a profit.
    function test_constructor_revertsLltvTimesBonusAtLeastOne() public {
        vm.expectRevert(ILendingMarket.InvalidRiskParams.selector);
        _deploy(collateral, loan, address(oracle), controller, 0.95e18, 0.1e18, _curve(), _curveBounds());
        // exactly 1: 0.8 * 1.25
        vm.expectRevert(ILendingMarket.InvalidRiskParams.selector);
        _deploy(collateral, loan, address(oracle), controller, 0.8e18, 0.25e18, _curve(), _curveBounds());
        // one wei past the largest bonus for lltv 0.95 (1/0.95 - 1 = 0.052631578947368421...)
        vm.expectRevert(ILendingMarket.InvalidRiskParams.selector);
        _deploy(collateral, loan, address(oracle), controller, 0.95e18, 52_631_578_947_368_422, _curve(), _curveBounds());
        // one wei past the largest lltv for the largest bonus
        vm.expectRevert(ILendingMarket.InvalidRiskParams.selector);
        _deploy(collateral, loan, address(oracle), controller, 0.5e18 + 1, 1e18 - 1, _curve(), _curveBounds());
    }

    function test_constructor_acceptsEdgeRiskParams() public {
        LendingMarket m =
            _deploy(collateral, loan, address(oracle), controller, 1e18 - 1, 0, _curve(), _curveBounds());
        assertEq(m.lltv(), 1e18 - 1);
        assertEq(m.liquidationBonus(), 0);
        m = _deploy(collateral, loan, address(oracle), controller, 0.5e18, 1e18 - 1, _curve(), _curveBounds());
        assertEq(m.liquidationBonus(), 1e18 - 1);
        m = _deploy(collateral, loan, address(oracle), controller, 0.95e18, 52_631_578_947_368_421, _curve(), _curveBounds());
        assertEq(m.liquidationBonus(), 52_631_578_947_368_421);
        m = _deploy(collateral, loan, address(oracle), controller, 1, 0, _curve(), _curveBounds());
        assertEq(m.lltv(), 1);
    }

    function test_constructor_revertsInvalidBounds() public {
        ILendingMarket.CurveBounds memory b = _curveBounds();
        b.minKink = 0;
        vm.expectRevert(ILendingMarket.InvalidBounds.selector);
        _deploy(collateral, loan, address(oracle), controller, LLTV, BONUS, _curve(), b);
        b = _curveBounds();
        b.minKink = 0.96e18;
        vm.expectRevert(ILendingMarket.InvalidBounds.selector);
        _deploy(collateral, loan, address(oracle), controller, LLTV, BONUS, _curve(), b);
        b = _curveBounds();
        b.maxKink = 1e18;
        vm.expectRevert(ILendingMarket.InvalidBounds.selector);
        _deploy(collateral, loan, address(oracle), controller, LLTV, BONUS, _curve(), b);
    }

    function test_constructor_revertsCurveOutOfBounds() public {
        ILendingMarket.Curve memory c = _curve();
        c.slope2 = 6e18;
        vm.expectRevert(ILendingMarket.CurveOutOfBounds.selector);
        _deploy(collateral, loan, address(oracle), controller, LLTV, BONUS, c, _curveBounds());
    }

    // ---------------------------------------------------------------- supply / withdraw

    function test_supply_mintsSharesAtVirtualPrice() public {
        vm.expectEmit(address(market));
        emit ILendingMarket.Supplied(lender, lender, 1_000e18, 1_000e24);
        uint256 shares = _supply(lender, 1_000e18);
        assertEq(shares, 1_000e24); // 1e6 shares per wei into an empty market
        assertEq(market.position(lender).supplyShares, shares);
        ILendingMarket.MarketState memory s = market.state();
        assertEq(s.totalSupplyAssets, 1_000e18);
        assertEq(s.totalSupplyShares, shares);
        assertEq(loan.balanceOf(address(market)), 1_000e18);
    }

    function test_supply_onBehalf() public {
        vm.prank(lender);
        market.supply(5e18, borrower);
        assertEq(market.position(borrower).supplyShares, 5e24);
        assertEq(market.position(lender).supplyShares, 0);
    }

    function test_supply_afterInterestMintsFewerShares() public {
        _openPosition();
        vm.warp(T0 + 1 days);
        ILendingMarket.MarketState memory before = market.state();
        uint256 shares = _supply(liquidator, 100e18);
        // Accrued first: 113013698630136986 of interest joined the supply before pricing the shares.
        assertEq(shares, _sharesDown(100e18, before.totalSupplyAssets + 113013698630136986, before.totalSupplyShares));
        assertLt(shares, 100e24);
    }

    function test_supply_acceptsDustForZeroShares() public {
        // 1 wei buys floor(1 * (S + 1e6) / (A + 1)) shares: zero once assets per share exceed it.
        _supply(lender, 1e18);
        vm.store(address(market), bytes32(uint256(_stateSlot())), bytes32(uint256(1e36))); // A_supply inflated
        assertEq(_supply(borrower, 1), 0);
    }

    function test_supply_revertsZeroAmount() public {
        vm.expectRevert(ILendingMarket.ZeroAmount.selector);
        _supply(lender, 0);
    }

    function test_supply_revertsZeroAddress() public {
        vm.prank(lender);
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        market.supply(1e18, address(0));
    }

    function test_withdraw_burnsSharesRoundedUp() public {
        _openPosition();
        vm.warp(T0 + 1 days);
        vm.prank(lender);
        (uint256 withdrawn, uint256 shares) = market.withdraw(100e18, lender);
        ILendingMarket.MarketState memory s = market.state();
        uint256 A = 1_000e18 + 113013698630136986;
        assertEq(withdrawn, 100e18);
        assertEq(shares, _sharesUp(100e18, A, 1_000e24));
        assertEq(s.totalSupplyAssets, A - 100e18);
        assertEq(s.totalSupplyShares, 1_000e24 - shares);
        assertEq(market.position(lender).supplyShares, 1_000e24 - shares);
    }

    function test_withdraw_maxTakesEverything() public {
        _supply(lender, 1_000e18);
        _supply(liquidator, 1e18);
        uint256 before = loan.balanceOf(lender);
        vm.expectEmit(address(market));
        emit ILendingMarket.Withdrawn(lender, lender, _assetsDown(1_000e24, 1_001e18, 1_001e24), 1_000e24);
        vm.prank(lender);
        (uint256 withdrawn, uint256 shares) = market.withdraw(type(uint256).max, lender);
        assertEq(shares, 1_000e24);
        assertEq(withdrawn, _assetsDown(1_000e24, 1_001e18, 1_001e24));
        assertEq(loan.balanceOf(lender) - before, withdrawn);
        assertEq(market.position(lender).supplyShares, 0);
    }

    function test_withdraw_toOther() public {
        _supply(lender, 10e18);
        vm.prank(lender);
        market.withdraw(4e18, treasury);
        assertEq(loan.balanceOf(treasury), 4e18);
    }

    function test_withdraw_revertsMaxWithNothing() public {
        vm.prank(lender);
        vm.expectRevert(ILendingMarket.ZeroAmount.selector);
        market.withdraw(type(uint256).max, lender);
    }

    function test_withdraw_revertsInsufficientBalance() public {
        _supply(lender, 10e18);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ILendingMarket.InsufficientBalance.selector, 11e24, 10e24));
        market.withdraw(11e18, lender);
    }

    function test_withdraw_revertsInsufficientLiquidity() public {
        _openPosition();
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ILendingMarket.InsufficientLiquidity.selector, 500e18, 400e18));
        market.withdraw(600e18, lender);
    }

    function test_withdraw_revertsZeroAmountAndAddress() public {
        _supply(lender, 10e18);
        vm.startPrank(lender);
        vm.expectRevert(ILendingMarket.ZeroAmount.selector);
        market.withdraw(0, lender);
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        market.withdraw(1e18, address(0));
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- collateral

    function test_supplyCollateral_credits() public {
        vm.expectEmit(address(market));
        emit ILendingMarket.CollateralSupplied(borrower, lender, 3e18);
        vm.prank(borrower);
        market.supplyCollateral(3e18, lender);
        assertEq(market.position(lender).collateral, 3e18);
        assertEq(market.state().totalCollateral, 3e18);
        assertEq(collateral.balanceOf(address(market)), 3e18);
    }

    function test_supplyCollateral_reverts() public {
        vm.startPrank(borrower);
        vm.expectRevert(ILendingMarket.ZeroAmount.selector);
        market.supplyCollateral(0, borrower);
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        market.supplyCollateral(1, address(0));
        vm.stopPrank();
    }

    function test_withdrawCollateral_withoutDebtSkipsOracle() public {
        _supplyCollateral(borrower, 10e18);
        vm.prank(owner);
        oracle.setSource(ILabOracle.Source.Pool); // no pool: price() reverts
        vm.expectEmit(address(market));
        emit ILendingMarket.CollateralWithdrawn(borrower, liquidator, 10e18);
        vm.prank(borrower);
        market.withdrawCollateral(10e18, liquidator);
        assertEq(collateral.balanceOf(liquidator), 1e30 + 10e18);
        assertEq(market.state().totalCollateral, 0);
    }

    function test_withdrawCollateral_keepsHealthy() public {
        _openPosition(); // debt 500 needs 312.5 collateral at 2.0 and 80%
        vm.prank(borrower);
        market.withdrawCollateral(687.5e18, borrower);
        assertEq(market.position(borrower).collateral, 312.5e18);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingMarket.InsufficientCollateral.selector, 500e18, 499.9999984e18));
        market.withdrawCollateral(0.000001e18, borrower);
    }

    function test_withdrawCollateral_revertsInsufficientBalance() public {
        _supplyCollateral(borrower, 1e18);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingMarket.InsufficientBalance.selector, 2e18, 1e18));
        market.withdrawCollateral(2e18, borrower);
    }

    function test_withdrawCollateral_revertsZeroAmountAndAddress() public {
        vm.startPrank(borrower);
        vm.expectRevert(ILendingMarket.ZeroAmount.selector);
        market.withdrawCollateral(0, borrower);
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        market.withdrawCollateral(1, address(0));
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- borrow / repay

    function test_borrow_mintsSharesRoundedUp() public {
        _supply(lender, 1_000e18);
        _supplyCollateral(borrower, 1_000e18);
        vm.expectEmit(address(market));
        emit ILendingMarket.Borrowed(borrower, liquidator, 500e18, 500e24);
        vm.prank(borrower);
        uint256 shares = market.borrow(500e18, liquidator);
        assertEq(shares, 500e24);
        assertEq(loan.balanceOf(liquidator), 1e30 + 500e18);
        assertEq(market.position(borrower).borrowShares, 500e24);
        ILendingMarket.MarketState memory s = market.state();
        assertEq(s.totalBorrowAssets, 500e18);
        assertEq(s.totalBorrowShares, 500e24);
        assertEq(market.utilization(), 0.5e18);
        assertEq(_debt(borrower), 500e18);
    }

    function test_borrow_secondBorrowAfterInterest() public {
        _openPosition();
        vm.warp(T0 + 1 days);
        uint256 shares = _borrow(borrower, 1e18);
        assertEq(shares, _sharesUp(1e18, 500e18 + 113013698630136986, 500e24));
    }

    function test_borrow_upToMaxDebt() public {
        _supply(lender, 2_000e18);
        _supplyCollateral(borrower, 1_000e18);
        _borrow(borrower, 1_600e18);
        assertFalse(market.isLiquidatable(borrower));
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingMarket.InsufficientCollateral.selector, 1_600e18 + 1, 1_600e18));
        market.borrow(1, borrower);
    }

    function test_borrow_revertsInsufficientCollateral() public {
        _supply(lender, 1_000e18);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingMarket.InsufficientCollateral.selector, 1e18, 0));
        market.borrow(1e18, borrower);
    }

    function test_borrow_revertsInsufficientLiquidity() public {
        _supply(lender, 100e18);
        _supplyCollateral(borrower, 1_000e18);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingMarket.InsufficientLiquidity.selector, 101e18, 100e18));
        market.borrow(101e18, borrower);
    }

    function test_borrow_liquidityCheckedBeforeHealth() public {
        _supply(lender, 100e18);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingMarket.InsufficientLiquidity.selector, 101e18, 100e18));
        market.borrow(101e18, borrower);
    }

    function test_borrow_revertsOracleUnavailable() public {
        _supply(lender, 100e18);
        _supplyCollateral(borrower, 100e18);
        vm.prank(owner);
        oracle.setSource(ILabOracle.Source.Pool);
        vm.prank(borrower);
        vm.expectRevert(ILabOracle.OracleUnavailable.selector);
        market.borrow(1e18, borrower);
    }

    function test_borrow_revertsZeroAmountAndAddress() public {
        vm.startPrank(borrower);
        vm.expectRevert(ILendingMarket.ZeroAmount.selector);
        market.borrow(0, borrower);
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        market.borrow(1, address(0));
        vm.stopPrank();
    }

    function test_repay_partialBurnsSharesRoundedDown() public {
        _openPosition();
        vm.warp(T0 + 1 days);
        uint256 A = 500e18 + 113013698630136986;
        vm.prank(borrower);
        (uint256 repaid, uint256 shares) = market.repay(100e18, borrower);
        assertEq(repaid, 100e18);
        assertEq(shares, _sharesDown(100e18, A, 500e24));
        ILendingMarket.MarketState memory s = market.state();
        assertEq(s.totalBorrowAssets, A - 100e18);
        assertEq(s.totalBorrowShares, 500e24 - shares);
        assertEq(market.position(borrower).borrowShares, 500e24 - shares);
    }

    function test_repay_moreThanDebtRepaysExactlyTheDebt() public {
        _openPosition();
        vm.warp(T0 + 1 days);
        uint256 debt = _assetsUp(500e24, 500e18 + 113013698630136986, 500e24);
        uint256 before = loan.balanceOf(borrower);
        vm.expectEmit(address(market));
        emit ILendingMarket.Repaid(borrower, borrower, debt, 500e24);
        vm.prank(borrower);
        (uint256 repaid, uint256 shares) = market.repay(10_000e18, borrower);
        assertEq(repaid, debt);
        assertEq(shares, 500e24);
        assertEq(before - loan.balanceOf(borrower), debt);
        assertEq(market.position(borrower).borrowShares, 0);
        ILendingMarket.MarketState memory s = market.state();
        assertEq(s.totalBorrowShares, 0);
        assertEq(s.totalBorrowAssets, 0); // the last debt, rounded up, is the whole total (saturates if a wei over)
    }

    function test_repay_maxOnBehalf() public {
        _openPosition();
        vm.prank(liquidator);
        (uint256 repaid,) = market.repay(type(uint256).max, borrower);
        assertEq(repaid, 500e18);
        assertEq(_debt(borrower), 0);
    }

    function test_repay_revertsNoDebt() public {
        vm.prank(borrower);
        vm.expectRevert(ILendingMarket.NoDebt.selector);
        market.repay(1, borrower);
    }

    function test_repay_revertsZeroAmountAndAddress() public {
        vm.startPrank(borrower);
        vm.expectRevert(ILendingMarket.ZeroAmount.selector);
        market.repay(0, borrower);
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        market.repay(1, address(0));
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- interest

    function test_accrue_oneDayBelowKink() public {
        _openPosition(); // U = 0.5: rate = 0.02 + 0.1 * 0.5 / 0.8 = 0.0825
        assertEq(market.borrowRate(), 0.0825e18);
        vm.warp(T0 + 1 days);
        vm.expectEmit(address(market));
        emit ILendingMarket.Accrued(113013698630136986, 0, 0.0825e18);
        _supplyCollateral(liquidator, 1); // any call accrues
        ILendingMarket.MarketState memory s = market.state();
        // 500e18 * 0.0825e18 * 86400 / (1e18 * 365 days) = 113013698630136986.3 -> floor
        assertEq(s.totalBorrowAssets, 500e18 + 113013698630136986);
        assertEq(s.totalSupplyAssets, 1_000e18 + 113013698630136986);
        assertEq(s.lastAccrual, T0 + 1 days);
    }

    function test_accrue_oneYearIsTheAnnualRate() public {
        _openPosition();
        vm.warp(T0 + 365 days);
        _supplyCollateral(liquidator, 1);
        assertEq(market.state().totalBorrowAssets, 541.25e18);
        assertEq(_debt(borrower), _assetsUp(500e24, 541.25e18, 500e24));
    }

    function test_accrue_aboveKink() public {
        _supply(lender, 1_000e18);
        _supplyCollateral(borrower, 1_000e18);
        _borrow(borrower, 900e18); // U = 0.9: 0.02 + 0.1 + 1.0 * 0.1 / 0.2 = 0.62
        assertEq(market.borrowRate(), 0.62e18);
        vm.warp(T0 + 1 hours);
        _supplyCollateral(liquidator, 1);
        assertEq(market.state().totalBorrowAssets, 900e18 + 63698630136986301);
    }

    function test_accrue_utilizationCappedAtOne() public {
        _openPosition();
        // Bad debt cannot push borrows over supply through the public API; force it to check the cap.
        vm.store(address(market), bytes32(uint256(_stateSlot())), bytes32(uint256(400e18)));
        assertEq(market.utilization(), 1e18);
        assertEq(market.borrowRate(), 0.02e18 + 0.1e18 + 1e18);
    }

    function test_accrue_withoutBorrowsOnlyMovesTheClock() public {
        _supply(lender, 1_000e18);
        vm.warp(T0 + 30 days);
        vm.recordLogs();
        _supply(lender, 1e18);
        assertEq(vm.getRecordedLogs().length, 2); // Supplied + Transfer, no Accrued
        ILendingMarket.MarketState memory s = market.state();
        assertEq(s.lastAccrual, T0 + 30 days);
        assertEq(s.totalSupplyAssets, 1_001e18);
    }

    function test_accrue_oncePerTimestamp() public {
        _openPosition();
        vm.warp(T0 + 1 days);
        _supplyCollateral(liquidator, 1);
        uint256 borrowed = market.state().totalBorrowAssets;
        _supplyCollateral(liquidator, 1);
        assertEq(market.state().totalBorrowAssets, borrowed);
    }

    function test_accrue_reserveMintsFeeSharesToTreasury() public {
        _openPosition();
        vm.prank(owner);
        market.setReserve(0.1e18, treasury);
        vm.warp(T0 + 365 days);
        _supplyCollateral(liquidator, 1);
        // interest 41.25, fee 4.125 priced against the supply without it (1,041.25 - 4.125).
        uint256 feeShares = _sharesDown(4.125e18, 1_037.125e18, 1_000e24);
        ILendingMarket.MarketState memory s = market.state();
        assertEq(market.position(treasury).supplyShares, feeShares);
        assertEq(s.totalSupplyShares, 1_000e24 + feeShares);
        assertEq(s.totalSupplyAssets, 1_041.25e18);
        // the treasury's claim is worth (about) the fee
        assertApproxEqAbs(_assetsDown(feeShares, s.totalSupplyAssets, s.totalSupplyShares), 4.125e18, 1e6);
    }

    function test_accrue_governanceSettersAccrueFirst() public {
        _openPosition();
        vm.warp(T0 + 1 days);
        vm.prank(owner);
        market.setController(liquidator);
        assertEq(market.state().totalBorrowAssets, 500e18 + 113013698630136986);
        assertEq(market.state().lastAccrual, T0 + 1 days);
    }

    // ---------------------------------------------------------------- liquidation

    function test_liquidate_revertsHealthy() public {
        _openPosition();
        assertFalse(market.isLiquidatable(borrower));
        vm.prank(liquidator);
        vm.expectRevert(abi.encodeWithSelector(ILendingMarket.HealthyPosition.selector, 500e18, 1_600e18));
        market.liquidate(borrower, 1e18);
    }

    function test_liquidate_revertsNoDebt() public {
        vm.prank(liquidator);
        vm.expectRevert(ILendingMarket.NoDebt.selector);
        market.liquidate(borrower, 1e18);
    }

    function test_liquidate_revertsZeroAmount() public {
        _openPosition();
        vm.prank(liquidator);
        vm.expectRevert(ILendingMarket.ZeroAmount.selector);
        market.liquidate(borrower, 0);
    }

    function test_liquidate_partial() public {
        _openPosition();
        _setPrice(0.6e18); // max debt 1,000 * 0.6 * 0.8 = 480 < 500
        assertTrue(market.isLiquidatable(borrower));
        uint256 shares = _sharesDown(100e18, 500e18, 500e24);
        vm.expectEmit(address(market));
        emit ILendingMarket.Liquidated(liquidator, borrower, 100e18, shares, 175e18, 0.6e18);
        vm.prank(liquidator);
        (uint256 repaid, uint256 seized, uint256 badDebt) = market.liquidate(borrower, 100e18);
        assertEq(repaid, 100e18);
        assertEq(seized, 175e18); // 100 * 1.05 / 0.6
        assertEq(badDebt, 0);
        assertEq(collateral.balanceOf(liquidator), 1e30 + 175e18);
        assertEq(loan.balanceOf(liquidator), 1e30 - 100e18);
        ILendingMarket.Position memory p = market.position(borrower);
        assertEq(p.collateral, 825e18);
        assertEq(p.borrowShares, 500e24 - shares);
        ILendingMarket.MarketState memory s = market.state();
        assertEq(s.totalBorrowAssets, 400e18);
        assertEq(s.totalCollateral, 825e18);
        assertEq(s.badDebt, 0);
    }

    function test_liquidate_wholeDebtLeavesCollateral() public {
        _openPosition();
        _setPrice(0.6e18);
        vm.prank(liquidator);
        (uint256 repaid, uint256 seized, uint256 badDebt) = market.liquidate(borrower, type(uint256).max);
        assertEq(repaid, 500e18);
        assertEq(seized, 875e18);
        assertEq(badDebt, 0);
        assertEq(market.position(borrower).borrowShares, 0);
        assertEq(market.position(borrower).collateral, 125e18);
        assertFalse(market.isLiquidatable(borrower));
    }

    function test_liquidate_capsSeizeAndRealizesBadDebt() public {
        _openPosition();
        _setPrice(0.4e18); // collateral worth 400 against 500 of debt
        // 500 * 1.05 / 0.4 = 1,312.5 > 1,000: seize all, repaid = ceil(1,000 * 0.4 / 1.05)
        uint256 expectedRepaid = 380952380952380952381;
        uint256 shares = _sharesDown(expectedRepaid, 500e18, 500e24);
        uint256 leftAssets = 500e18 - expectedRepaid;
        uint256 leftShares = 500e24 - shares;
        uint256 expectedBad = _assetsUp(leftShares, leftAssets, leftShares);
        if (expectedBad > leftAssets) expectedBad = leftAssets;
        vm.expectEmit(address(market));
        emit ILendingMarket.BadDebtRealized(borrower, expectedBad, leftShares);
        vm.prank(liquidator);
        (uint256 repaid, uint256 seized, uint256 badDebt) = market.liquidate(borrower, type(uint256).max);
        assertEq(repaid, expectedRepaid);
        assertEq(seized, 1_000e18);
        assertEq(badDebt, expectedBad);
        assertApproxEqAbs(badDebt, 119.047619047619047619e18, 1);
        ILendingMarket.Position memory p = market.position(borrower);
        assertEq(p.collateral, 0);
        assertEq(p.borrowShares, 0);
        ILendingMarket.MarketState memory s = market.state();
        assertEq(s.badDebt, badDebt);
        assertEq(s.totalBorrowShares, 0);
        assertEq(s.totalBorrowAssets, leftAssets - badDebt);
        assertEq(s.totalSupplyAssets, 1_000e18 - badDebt); // suppliers bear the loss
        assertEq(s.totalCollateral, 0);
    }

    function test_liquidate_smallRepayWithBadDebtLeft() public {
        _openPosition();
        _setPrice(0.4e18);
        vm.prank(liquidator);
        (uint256 repaid, uint256 seized, uint256 badDebt) = market.liquidate(borrower, 10e18);
        assertEq(repaid, 10e18);
        assertEq(seized, 26.25e18);
        assertEq(badDebt, 0); // collateral remains: no write-off yet
    }

    function test_liquidate_revertsZeroRepaidWithoutCollateral() public {
        _openPosition();
        // A position with debt and no collateral (only reachable by state surgery) seizes nothing, repays nothing.
        bytes32 slot = keccak256(abi.encode(borrower, uint256(_positionsSlot())));
        vm.store(address(market), bytes32(uint256(slot) + 2), bytes32(0));
        vm.prank(liquidator);
        vm.expectRevert(ILendingMarket.ZeroAmount.selector);
        market.liquidate(borrower, 100e18);
    }

    function test_liquidate_afterInterest() public {
        _supply(lender, 2_000e18);
        _supplyCollateral(borrower, 1_000e18);
        _borrow(borrower, 1_600e18);
        vm.warp(T0 + 1 days); // interest pushes the debt over the limit
        assertFalse(market.isLiquidatable(borrower)); // the view reads the stored (unaccrued) state
        vm.prank(liquidator);
        (uint256 repaid,,) = market.liquidate(borrower, 1e18);
        assertEq(repaid, 1e18);
        assertGt(market.state().totalBorrowAssets, 1_599e18);
    }

    function test_isLiquidatable_noDebtSkipsOracle() public {
        vm.prank(owner);
        oracle.setSource(ILabOracle.Source.Pool);
        assertFalse(market.isLiquidatable(borrower));
    }

    // ---------------------------------------------------------------- governance

    function test_setCurve_byController() public {
        ILendingMarket.Curve memory c =
            ILendingMarket.Curve({baseRate: 0.05e18, slope1: 0.2e18, slope2: 3e18, kink: 0.9e18});
        vm.expectEmit(address(market));
        emit ILendingMarket.CurveSet(controller, c);
        vm.prank(controller);
        market.setCurve(c);
        assertEq(market.state().curve.kink, 0.9e18);
        assertEq(market.borrowRate(), 0.05e18);
    }

    function test_setCurve_accruesAtOldCurveFirst() public {
        _openPosition();
        vm.warp(T0 + 1 days);
        vm.prank(controller);
        market.setCurve(ILendingMarket.Curve({baseRate: 0.1e18, slope1: 0.5e18, slope2: 5e18, kink: 0.5e18}));
        assertEq(market.state().totalBorrowAssets, 500e18 + 113013698630136986);
    }

    function test_setCurve_revertsNotController() public {
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ILendingMarket.NotController.selector, owner));
        market.setCurve(_curve());
    }

    function test_setCurve_revertsOutOfBounds() public {
        ILendingMarket.Curve[5] memory bad;
        for (uint256 i; i < 5; ++i) {
            bad[i] = _curve();
        }
        bad[0].baseRate = 0.1e18 + 1;
        bad[1].slope1 = 0.5e18 + 1;
        bad[2].slope2 = 5e18 + 1;
        bad[3].kink = 0.5e18 - 1;
        bad[4].kink = 0.95e18 + 1;
        for (uint256 i; i < 5; ++i) {
            vm.prank(controller);
            vm.expectRevert(ILendingMarket.CurveOutOfBounds.selector);
            market.setCurve(bad[i]);
        }
    }

    function test_setCurveBounds_byOwner() public {
        ILendingMarket.CurveBounds memory b = _curveBounds();
        b.maxSlope2 = 10e18;
        vm.expectEmit(address(market));
        emit ILendingMarket.CurveBoundsSet(b);
        vm.prank(owner);
        market.setCurveBounds(b);
        assertEq(market.curveBounds().maxSlope2, 10e18);
    }

    function test_setCurveBounds_revertsInvalid() public {
        ILendingMarket.CurveBounds memory b = _curveBounds();
        b.maxSlope2 = 0.5e18; // current slope2 (1.0) outside
        vm.prank(owner);
        vm.expectRevert(ILendingMarket.InvalidBounds.selector);
        market.setCurveBounds(b);
        b = _curveBounds();
        b.minKink = 0.9e18;
        b.maxKink = 0.85e18;
        vm.prank(owner);
        vm.expectRevert(ILendingMarket.InvalidBounds.selector);
        market.setCurveBounds(b);
        b = _curveBounds();
        b.minKink = 0;
        vm.prank(owner);
        vm.expectRevert(ILendingMarket.InvalidBounds.selector);
        market.setCurveBounds(b);
    }

    function test_setCurveBounds_revertsNotOwner() public {
        vm.prank(controller);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, controller));
        market.setCurveBounds(_curveBounds());
    }

    function test_setController() public {
        vm.expectEmit(address(market));
        emit ILendingMarket.ControllerSet(lender);
        vm.prank(owner);
        market.setController(lender);
        assertEq(market.controller(), lender);
        vm.prank(lender);
        market.setCurve(_curve());
    }

    function test_setController_reverts() public {
        vm.prank(owner);
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        market.setController(address(0));
        vm.prank(controller);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, controller));
        market.setController(controller);
    }

    function test_setOracle() public {
        LabOracle o2 = new LabOracle(IAdaptivePool(address(0)), owner, feeder, ILabOracle.Source.Feed);
        vm.prank(feeder);
        o2.setFeedPrice(0.1e18);
        _openPosition();
        vm.expectEmit(address(market));
        emit ILendingMarket.OracleSet(address(o2));
        vm.prank(owner);
        market.setOracle(address(o2));
        assertEq(address(market.oracle()), address(o2));
        assertTrue(market.isLiquidatable(borrower));
    }

    function test_setOracle_reverts() public {
        vm.prank(owner);
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        market.setOracle(address(0));
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, lender));
        market.setOracle(address(oracle));
    }

    function test_setReserve() public {
        vm.expectEmit(address(market));
        emit ILendingMarket.ReserveSet(0.5e18, treasury);
        vm.prank(owner);
        market.setReserve(0.5e18, treasury);
        assertEq(market.reserveFactor(), 0.5e18);
        assertEq(market.treasury(), treasury);
    }

    function test_setReserve_accruesAtOldFactor() public {
        _openPosition();
        vm.warp(T0 + 365 days);
        vm.prank(owner);
        market.setReserve(0.5e18, treasury);
        assertEq(market.position(treasury).supplyShares, 0); // the year's interest was split at factor 0
        assertEq(market.state().totalSupplyAssets, 1_041.25e18);
    }

    function test_setReserve_reverts() public {
        vm.startPrank(owner);
        vm.expectRevert(ILendingMarket.InvalidRiskParams.selector);
        market.setReserve(0.5e18 + 1, treasury);
        vm.expectRevert(ILendingMarket.ZeroAddress.selector);
        market.setReserve(0.1e18, address(0));
        vm.stopPrank();
        vm.prank(treasury);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, treasury));
        market.setReserve(0.1e18, treasury);
    }

    function test_supply_revertsReentrancy() public {
        ReentrantLoanToken evil = new ReentrantLoanToken();
        LendingMarket m =
            new LendingMarket(collateral, evil, oracle, owner, controller, LLTV, BONUS, _curve(), _curveBounds());
        evil.mint(lender, 10e18);
        vm.prank(lender);
        evil.approve(address(m), type(uint256).max);
        evil.arm(m);
        vm.prank(lender);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        m.supply(1e18, lender);
    }

    function test_ownership_twoStep() public {
        vm.prank(owner);
        market.transferOwnership(lender);
        assertEq(market.owner(), owner);
        vm.prank(lender);
        market.acceptOwnership();
        assertEq(market.owner(), lender);
    }

    // ---------------------------------------------------------------- storage layout helpers

    /// @dev Slot of `_state.totalSupplyAssets` (the first field of `_state`).
    function _stateSlot() internal pure returns (uint256) {
        // Ownable._owner 0, Ownable2Step._pendingOwner 1, oracle 2, controller 3, reserveFactor+treasury 4,
        // _bounds 5-6 (five uint64), _state 7...
        return 7;
    }

    function _positionsSlot() internal pure returns (uint256) {
        return 7 + 8; // _state: six uint256, lastAccrual, curve (four uint64 in one slot)
    }
}
