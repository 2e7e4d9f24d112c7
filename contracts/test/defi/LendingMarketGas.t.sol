// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LendingTestBase} from "./utils/LendingTestBase.sol";

/// @notice Gas of the lending market's hot paths on a warm market with interest to accrue (snapshot entries via
///         `npm run gas:update`).
contract LendingMarketGasTest is LendingTestBase {
    function setUp() public {
        _deployMarket();
        _openPosition();
        _supply(liquidator, 1e18);
        _supplyCollateral(liquidator, 1e18);
        vm.prank(owner);
        market.setReserve(0.1e18, treasury);
        vm.warp(block.timestamp + 12);
    }

    function test_gas_supply() public {
        _supply(lender, 1e18);
    }

    function test_gas_withdraw() public {
        vm.prank(lender);
        market.withdraw(1e18, lender);
    }

    function test_gas_supplyCollateral() public {
        _supplyCollateral(borrower, 1e18);
    }

    function test_gas_withdrawCollateral() public {
        vm.prank(borrower);
        market.withdrawCollateral(1e18, borrower);
    }

    function test_gas_borrow() public {
        _borrow(borrower, 1e18);
    }

    function test_gas_repay() public {
        vm.prank(borrower);
        market.repay(1e18, borrower);
    }

    function test_gas_liquidate() public {
        _setPrice(0.6e18);
        vm.prank(liquidator);
        market.liquidate(borrower, 100e18);
    }

    function test_gas_liquidateWithBadDebt() public {
        _setPrice(0.4e18);
        vm.prank(liquidator);
        market.liquidate(borrower, type(uint256).max);
    }
}
