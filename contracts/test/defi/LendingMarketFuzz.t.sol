// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILendingMarket} from "../../src/defi/interfaces/ILendingMarket.sol";
import {LendingTestBase} from "./utils/LendingTestBase.sol";

/// @notice Properties of the lending market's share math, accrual and liquidation over random states.
contract LendingMarketFuzzTest is LendingTestBase {
    function setUp() public {
        _deployMarket();
    }

    /// @dev A market with `supplied` lent, `borrowed` (bounded by health and liquidity) borrowed and `dt` elapsed,
    ///      so shares no longer trade at the virtual price.
    function _randomMarket(uint256 supplied, uint256 borrowed, uint256 dt) internal {
        supplied = bound(supplied, 1, 1e27);
        _supply(lender, supplied);
        borrowed = bound(borrowed, 0, supplied);
        if (borrowed > 0) {
            _supplyCollateral(borrower, borrowed); // worth 2x, max debt 1.6x
            _borrow(borrower, borrowed);
        }
        vm.warp(block.timestamp + bound(dt, 0, 10 * 365 days));
    }

    function testFuzz_supplyWithdraw_roundTripNeverFavoursUser(
        uint256 supplied,
        uint256 borrowed,
        uint256 dt,
        uint256 assets
    ) public {
        _randomMarket(supplied, borrowed, dt);
        assets = bound(assets, 1, 1e27);
        uint256 before = loan.balanceOf(liquidator);
        _supply(liquidator, assets);
        vm.prank(liquidator);
        try market.withdraw(type(uint256).max, liquidator) returns (uint256 withdrawn, uint256) {
            assertLe(withdrawn, assets);
        } catch (bytes memory reason) {
            // A dust deposit that bought no share has nothing to withdraw.
            assertEq(bytes4(reason), ILendingMarket.ZeroAmount.selector);
            assertEq(market.position(liquidator).supplyShares, 0);
        }
        assertLe(loan.balanceOf(liquidator), before);
    }

    function testFuzz_withdrawExact_burnsAtLeastTheSharesMinted(
        uint256 supplied,
        uint256 borrowed,
        uint256 dt,
        uint256 assets
    ) public {
        _randomMarket(supplied, borrowed, dt);
        assets = bound(assets, 1, 1e27);
        uint256 minted = _supply(liquidator, assets);
        vm.prank(liquidator);
        try market.withdraw(assets, liquidator) returns (uint256, uint256 burned) {
            assertGe(burned, minted);
        } catch (bytes memory reason) {
            // Taking the deposit back whole needs at least the shares it bought (rounded up), which may exceed them.
            assertEq(bytes4(reason), ILendingMarket.InsufficientBalance.selector);
        }
    }

    function testFuzz_borrowRepay_roundTripNeverFavoursUser(
        uint256 supplied,
        uint256 borrowed,
        uint256 dt,
        uint256 amount
    ) public {
        _randomMarket(supplied, borrowed, dt);
        _supply(lender, 1e27); // room to borrow
        amount = bound(amount, 1, 1e26);
        _supplyCollateral(liquidator, amount + 10); // 1.6x + 16 wei of room covers the debt's round-up
        vm.startPrank(liquidator);
        market.borrow(amount, liquidator);
        (uint256 repaid, uint256 shares) = market.repay(type(uint256).max, liquidator);
        vm.stopPrank();
        assertGe(repaid, amount);
        assertEq(market.position(liquidator).borrowShares, 0);
        assertGt(shares, 0);
    }

    function testFuzz_liquidate_neverSeizesMoreThanCollateral(
        uint256 coll,
        uint256 borrowFraction,
        uint256 price,
        uint256 repayAssets,
        uint256 dt
    ) public {
        coll = bound(coll, 1e6, 1e27);
        _supply(lender, 2e27);
        _supplyCollateral(borrower, coll);
        uint256 maxDebt = coll * PRICE / WAD * LLTV / WAD;
        uint256 borrowed = bound(borrowFraction, 1, maxDebt);
        _borrow(borrower, borrowed);
        vm.warp(block.timestamp + bound(dt, 0, 365 days));
        _setPrice(bound(price, 1e12, PRICE));
        repayAssets = bound(repayAssets, 1, type(uint256).max);

        uint256 loanBefore = loan.balanceOf(liquidator);
        uint256 collBefore = collateral.balanceOf(liquidator);
        vm.prank(liquidator);
        try market.liquidate(borrower, repayAssets) returns (uint256 repaid, uint256 seized, uint256 badDebt) {
            assertLe(seized, coll);
            assertLe(repaid, repayAssets);
            assertGt(repaid, 0);
            assertEq(collateral.balanceOf(liquidator) - collBefore, seized);
            assertEq(loanBefore - loan.balanceOf(liquidator), repaid);
            ILendingMarket.Position memory p = market.position(borrower);
            assertEq(p.collateral, coll - seized);
            if (badDebt > 0) assertEq(p.borrowShares, 0);
            if (p.collateral == 0) assertEq(p.borrowShares, 0);
            assertEq(market.state().totalCollateral, coll - seized);
        } catch (bytes memory reason) {
            bytes4 sel = bytes4(reason);
            assertTrue(sel == ILendingMarket.HealthyPosition.selector || sel == ILendingMarket.ZeroAmount.selector);
        }
    }

    function testFuzz_accrue_monotone(uint256 supplied, uint256 borrowed, uint256 dt1, uint256 dt2, uint64 factor)
        public
    {
        _randomMarket(supplied, borrowed, 0);
        vm.prank(owner);
        market.setReserve(uint64(bound(factor, 0, 0.5e18)), treasury);
        ILendingMarket.MarketState memory s0 = market.state();
        vm.warp(block.timestamp + bound(dt1, 0, 5 * 365 days));
        _supplyCollateral(liquidator, 1);
        ILendingMarket.MarketState memory s1 = market.state();
        vm.warp(block.timestamp + bound(dt2, 0, 5 * 365 days));
        _supplyCollateral(liquidator, 1);
        ILendingMarket.MarketState memory s2 = market.state();

        assertGe(s1.totalBorrowAssets, s0.totalBorrowAssets);
        assertGe(s2.totalBorrowAssets, s1.totalBorrowAssets);
        // Interest goes to both sides alike.
        assertEq(s2.totalSupplyAssets - s0.totalSupplyAssets, s2.totalBorrowAssets - s0.totalBorrowAssets);
        // A supply share never loses value to accrual (fee shares are priced below the new value).
        assertGe(
            _assetsDown(1e24, s2.totalSupplyAssets, s2.totalSupplyShares),
            _assetsDown(1e24, s0.totalSupplyAssets, s0.totalSupplyShares)
        );
        assertGe(s2.lastAccrual, s1.lastAccrual);
    }

    function testFuzz_rate_monotoneInUtilization(uint256 b1, uint256 b2) public {
        _supply(lender, 1e24);
        _supplyCollateral(borrower, 1e24);
        b1 = bound(b1, 1, 1e24);
        b2 = bound(b2, b1, 1e24);
        _borrow(borrower, b1);
        uint256 r1 = market.borrowRate();
        if (b2 > b1) _borrow(borrower, b2 - b1);
        uint256 r2 = market.borrowRate();
        assertGe(r2, r1);
        assertLe(r2, 0.02e18 + 0.1e18 + 1e18);
        assertGe(r1, 0.02e18);
    }

    function testFuzz_borrow_neverLeavesUnhealthy(uint256 coll, uint256 amount, uint256 price) public {
        _supply(lender, 1e27);
        coll = bound(coll, 1, 1e26);
        _supplyCollateral(borrower, coll);
        _setPrice(bound(price, 1, 1e24));
        amount = bound(amount, 1, 1e27);
        vm.prank(borrower);
        try market.borrow(amount, borrower) {
            assertFalse(market.isLiquidatable(borrower));
        } catch {}
    }
}
