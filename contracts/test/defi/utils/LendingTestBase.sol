// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {IAdaptivePool} from "../../../src/defi/interfaces/IAdaptivePool.sol";
import {ILabOracle} from "../../../src/defi/interfaces/ILabOracle.sol";
import {ILendingMarket} from "../../../src/defi/interfaces/ILendingMarket.sol";
import {LabOracle} from "../../../src/defi/LabOracle.sol";
import {LabToken} from "../../../src/defi/LabToken.sol";
import {LendingMarket} from "../../../src/defi/LendingMarket.sol";

/// @notice Deploys a lending market over two lab tokens with a feed-sourced lab oracle, with helpers to fund,
///         supply, post collateral, borrow and move the price.
abstract contract LendingTestBase is Test {
    LabToken internal collateral; // token0
    LabToken internal loan; // token1
    LabOracle internal oracle;
    LendingMarket internal market;

    address internal owner = makeAddr("owner");
    address internal controller = makeAddr("controller");
    address internal feeder = makeAddr("feeder");
    address internal lender = makeAddr("lender");
    address internal borrower = makeAddr("borrower");
    address internal liquidator = makeAddr("liquidator");
    address internal treasury = makeAddr("treasury");

    uint256 internal constant WAD = 1e18;
    uint256 internal constant YEAR = 365 days;
    uint64 internal constant LLTV = 0.8e18;
    uint64 internal constant BONUS = 0.05e18;
    uint256 internal constant PRICE = 2e18; // one collateral token is worth two loan tokens
    uint256 internal constant T0 = 1_700_000_000;

    function _curve() internal pure returns (ILendingMarket.Curve memory) {
        return ILendingMarket.Curve({baseRate: 0.02e18, slope1: 0.1e18, slope2: 1e18, kink: 0.8e18});
    }

    function _curveBounds() internal pure returns (ILendingMarket.CurveBounds memory) {
        return ILendingMarket.CurveBounds({
            maxBaseRate: 0.1e18, maxSlope1: 0.5e18, maxSlope2: 5e18, minKink: 0.5e18, maxKink: 0.95e18
        });
    }

    function _deployMarket() internal {
        vm.warp(T0);
        collateral = new LabToken("Collateral", "COL");
        loan = new LabToken("Loan", "LOAN");
        oracle = new LabOracle(IAdaptivePool(address(0)), owner, feeder, ILabOracle.Source.Feed);
        _setPrice(PRICE);
        market = new LendingMarket(collateral, loan, oracle, owner, controller, LLTV, BONUS, _curve(), _curveBounds());
        _fund(lender);
        _fund(borrower);
        _fund(liquidator);
    }

    function _fund(address who) internal {
        collateral.mint(who, 1e30);
        loan.mint(who, 1e30);
        vm.startPrank(who);
        collateral.approve(address(market), type(uint256).max);
        loan.approve(address(market), type(uint256).max);
        vm.stopPrank();
    }

    function _setPrice(uint256 p) internal {
        vm.prank(feeder);
        oracle.setFeedPrice(p);
    }

    function _supply(address who, uint256 assets) internal returns (uint256) {
        vm.prank(who);
        return market.supply(assets, who);
    }

    function _supplyCollateral(address who, uint256 assets) internal {
        vm.prank(who);
        market.supplyCollateral(assets, who);
    }

    function _borrow(address who, uint256 assets) internal returns (uint256) {
        vm.prank(who);
        return market.borrow(assets, who);
    }

    /// @dev A lender with 1,000 and a borrower with 1,000 collateral (worth 2,000, max debt 1,600) owing 500.
    function _openPosition() internal {
        _supply(lender, 1_000e18);
        _supplyCollateral(borrower, 1_000e18);
        _borrow(borrower, 500e18);
    }

    function _debt(address who) internal view returns (uint256) {
        return market.debtOf(who);
    }

    // Share math of the header, restated for expected values.
    function _sharesDown(uint256 a, uint256 A, uint256 S) internal pure returns (uint256) {
        return a * (S + 1e6) / (A + 1);
    }

    function _sharesUp(uint256 a, uint256 A, uint256 S) internal pure returns (uint256) {
        uint256 x = a * (S + 1e6);
        return x / (A + 1) + (x % (A + 1) == 0 ? 0 : 1);
    }

    function _assetsDown(uint256 s, uint256 A, uint256 S) internal pure returns (uint256) {
        return s * (A + 1) / (S + 1e6);
    }

    function _assetsUp(uint256 s, uint256 A, uint256 S) internal pure returns (uint256) {
        uint256 x = s * (A + 1);
        return x / (S + 1e6) + (x % (S + 1e6) == 0 ? 0 : 1);
    }
}
