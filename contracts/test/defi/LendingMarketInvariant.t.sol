// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {ILendingMarket} from "../../src/defi/interfaces/ILendingMarket.sol";
import {LabOracle} from "../../src/defi/LabOracle.sol";
import {LendingMarket} from "../../src/defi/LendingMarket.sol";
import {LendingTestBase} from "./utils/LendingTestBase.sol";

/// @notice Random supplies, withdrawals, collateral moves, borrows, repays, liquidations, price moves, reserve changes
///         and time jumps against one market.
contract LendingHandler is Test {
    LendingMarket internal market;
    LabOracle internal oracle;
    address internal feeder;
    address internal owner;
    address internal treasury;
    address[] internal actors;
    uint256 public liquidations;
    uint256 public badDebts;

    constructor(
        LendingMarket market_,
        LabOracle oracle_,
        address feeder_,
        address owner_,
        address treasury_,
        address[] memory actors_
    ) {
        market = market_;
        oracle = oracle_;
        feeder = feeder_;
        owner = owner_;
        treasury = treasury_;
        actors = actors_;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    function supply(uint256 seed, uint256 assets) external {
        address a = _actor(seed);
        vm.prank(a);
        try market.supply(bound(assets, 1, 1e24), a) {} catch {}
    }

    function withdraw(uint256 seed, uint256 assets, bool all) external {
        address a = _actor(seed);
        vm.prank(a);
        try market.withdraw(all ? type(uint256).max : bound(assets, 1, 1e24), a) {} catch {}
    }

    function supplyCollateral(uint256 seed, uint256 assets) external {
        address a = _actor(seed);
        vm.prank(a);
        try market.supplyCollateral(bound(assets, 1, 1e24), a) {} catch {}
    }

    function withdrawCollateral(uint256 seed, uint256 assets) external {
        address a = _actor(seed);
        vm.prank(a);
        try market.withdrawCollateral(bound(assets, 1, 1e24), a) {} catch {}
    }

    function borrow(uint256 seed, uint256 assets) external {
        address a = _actor(seed);
        vm.prank(a);
        try market.borrow(bound(assets, 1, 1e24), a) {} catch {}
    }

    /// @dev Borrows a random fraction of what the actor's collateral still allows, so positions sit near the edge
    ///      and price moves make them liquidatable.
    function borrowNearMax(uint256 seed, uint256 fraction) external {
        address a = _actor(seed);
        ILendingMarket.Position memory p = market.position(a);
        uint256 maxDebt = p.collateral * oracle.price() / 1e18 * market.lltv() / 1e18;
        uint256 debt = market.debtOf(a);
        if (maxDebt <= debt + 1) return;
        uint256 room = (maxDebt - debt) * bound(fraction, 50, 100) / 100;
        if (room == 0) return;
        vm.prank(a);
        try market.borrow(room, a) {} catch {}
    }

    function repay(uint256 seed, uint256 assets, bool all) external {
        address a = _actor(seed);
        vm.prank(a);
        try market.repay(all ? type(uint256).max : bound(assets, 1, 1e24), a) {} catch {}
    }

    function liquidate(uint256 seed, uint256 target, uint256 assets) external {
        address a = _actor(seed);
        address b = _actor(target);
        vm.prank(a);
        try market.liquidate(b, bound(assets, 1, type(uint256).max)) returns (uint256, uint256, uint256 bad) {
            ++liquidations;
            if (bad > 0) ++badDebts;
        } catch {}
    }

    function movePrice(uint256 p) external {
        vm.prank(feeder);
        oracle.setFeedPrice(bound(p, 0.05e18, 4e18));
    }

    function setReserve(uint256 factor) external {
        vm.prank(owner);
        market.setReserve(uint64(bound(factor, 0, 0.5e18)), treasury);
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 30 days));
    }
}

/// @notice Conservation: the market holds at least its cash (supply minus borrows) and exactly its collateral;
///         positions' shares and collateral sum to the totals; borrows never exceed supply.
contract LendingMarketInvariantTest is LendingTestBase {
    LendingHandler internal handler;
    address[] internal actors;

    function setUp() public {
        _deployMarket();
        for (uint256 i; i < 4; ++i) {
            address a = address(uint160(0xC000 + i));
            _fund(a);
            actors.push(a);
        }
        handler = new LendingHandler(market, oracle, feeder, owner, treasury, actors);
        targetContract(address(handler));
    }

    function invariant_cashCoversSupplyMinusBorrows() public view {
        ILendingMarket.MarketState memory s = market.state();
        assertGe(loan.balanceOf(address(market)) + s.totalBorrowAssets, s.totalSupplyAssets);
    }

    function invariant_collateralBalanceEqualsTotal() public view {
        assertEq(collateral.balanceOf(address(market)), market.state().totalCollateral);
    }

    function invariant_positionsSumToTotals() public view {
        ILendingMarket.MarketState memory s = market.state();
        uint256 supplyShares = market.position(treasury).supplyShares + market.position(owner).supplyShares;
        uint256 borrowShares;
        uint256 coll;
        for (uint256 i; i < actors.length; ++i) {
            ILendingMarket.Position memory p = market.position(actors[i]);
            supplyShares += p.supplyShares;
            borrowShares += p.borrowShares;
            coll += p.collateral;
        }
        assertEq(supplyShares, s.totalSupplyShares);
        assertEq(borrowShares, s.totalBorrowShares);
        assertEq(coll, s.totalCollateral);
    }

    function invariant_borrowsWithinSupply() public view {
        ILendingMarket.MarketState memory s = market.state();
        assertLe(s.totalBorrowAssets, s.totalSupplyAssets);
        assertLe(market.utilization(), 1e18);
    }

    function invariant_noDebtWithoutCollateral() public view {
        for (uint256 i; i < actors.length; ++i) {
            ILendingMarket.Position memory p = market.position(actors[i]);
            if (p.collateral == 0) assertEq(p.borrowShares, 0);
        }
    }
}
