// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IAdaptivePool} from "../../src/defi/interfaces/IAdaptivePool.sol";
import {ILabOracle} from "../../src/defi/interfaces/ILabOracle.sol";
import {LabOracle} from "../../src/defi/LabOracle.sol";
import {PoolTestBase} from "./utils/PoolTestBase.sol";

/// @notice The lab oracle's two sources, its feeder and its governance.
contract LabOracleTest is PoolTestBase {
    LabOracle internal oracle;
    address internal feeder = makeAddr("feeder");

    function setUp() public {
        _deployPool();
        oracle = new LabOracle(pool, owner, feeder, ILabOracle.Source.Feed);
    }

    function test_constructor_setsParameters() public view {
        assertEq(address(oracle.pool()), address(pool));
        assertEq(oracle.owner(), owner);
        assertEq(oracle.feeder(), feeder);
        assertEq(uint8(oracle.source()), uint8(ILabOracle.Source.Feed));
        (uint256 p, uint64 at) = oracle.feed();
        assertEq(p, 0);
        assertEq(at, 0);
    }

    function test_constructor_emits() public {
        vm.expectEmit();
        emit ILabOracle.FeederSet(feeder);
        vm.expectEmit();
        emit ILabOracle.SourceSet(ILabOracle.Source.Pool);
        new LabOracle(pool, owner, feeder, ILabOracle.Source.Pool);
    }

    function test_price_feedUnavailableUntilPushed() public {
        vm.expectRevert(ILabOracle.OracleUnavailable.selector);
        oracle.price();
    }

    function test_setFeedPrice_pushes() public {
        vm.warp(block.timestamp + 5);
        vm.expectEmit(address(oracle));
        emit ILabOracle.FeedPriceSet(1.5e18, uint64(block.timestamp));
        vm.prank(feeder);
        oracle.setFeedPrice(1.5e18);
        assertEq(oracle.price(), 1.5e18);
        (uint256 p, uint64 at) = oracle.feed();
        assertEq(p, 1.5e18);
        assertEq(at, block.timestamp);
    }

    function test_setFeedPrice_revertsNotFeeder() public {
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ILabOracle.NotFeeder.selector, owner));
        oracle.setFeedPrice(1e18);
    }

    function test_setFeedPrice_revertsZero() public {
        vm.prank(feeder);
        vm.expectRevert(ILabOracle.InvalidPrice.selector);
        oracle.setFeedPrice(0);
    }

    function test_price_poolUnavailableBeforeSeed() public {
        vm.prank(owner);
        oracle.setSource(ILabOracle.Source.Pool);
        vm.expectRevert(ILabOracle.OracleUnavailable.selector);
        oracle.price();
    }

    function test_price_poolReadsTwap() public {
        _seed(1e21, 2e21);
        vm.prank(owner);
        oracle.setSource(ILabOracle.Source.Pool);
        assertEq(oracle.price(), 2e18);
        // The TWAP moves only when a window completes, not with the spot price (3% move: under the breaker).
        _swap(true, 3e19);
        assertEq(oracle.price(), 2e18);
        assertLt(pool.spotPrice(), 2e18);
        vm.warp(block.timestamp + WINDOW);
        _swap(true, 1e18);
        assertEq(oracle.price(), pool.state().twapPrice);
        assertLt(oracle.price(), 2e18);
    }

    function test_price_poolSourceWithoutPool() public {
        LabOracle o = new LabOracle(IAdaptivePool(address(0)), owner, feeder, ILabOracle.Source.Pool);
        vm.expectRevert(ILabOracle.OracleUnavailable.selector);
        o.price();
    }

    function test_setSource() public {
        vm.prank(feeder);
        oracle.setFeedPrice(3e18);
        _seed(1e21, 1e21);
        vm.expectEmit(address(oracle));
        emit ILabOracle.SourceSet(ILabOracle.Source.Pool);
        vm.prank(owner);
        oracle.setSource(ILabOracle.Source.Pool);
        assertEq(oracle.price(), 1e18);
        vm.prank(owner);
        oracle.setSource(ILabOracle.Source.Feed);
        assertEq(oracle.price(), 3e18);
    }

    function test_setSource_revertsNotOwner() public {
        vm.prank(feeder);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, feeder));
        oracle.setSource(ILabOracle.Source.Pool);
    }

    function test_setFeeder() public {
        address next = makeAddr("next");
        vm.expectEmit(address(oracle));
        emit ILabOracle.FeederSet(next);
        vm.prank(owner);
        oracle.setFeeder(next);
        assertEq(oracle.feeder(), next);
        vm.prank(feeder);
        vm.expectRevert(abi.encodeWithSelector(ILabOracle.NotFeeder.selector, feeder));
        oracle.setFeedPrice(1e18);
        vm.prank(next);
        oracle.setFeedPrice(1e18);
    }

    function test_setFeeder_revertsNotOwner() public {
        vm.prank(feeder);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, feeder));
        oracle.setFeeder(feeder);
    }

    function test_ownership_twoStep() public {
        vm.prank(owner);
        oracle.transferOwnership(feeder);
        assertEq(oracle.owner(), owner);
        vm.prank(feeder);
        oracle.acceptOwnership();
        assertEq(oracle.owner(), feeder);
    }

    function testFuzz_setFeedPrice_roundTrips(uint256 p) public {
        p = bound(p, 1, type(uint256).max);
        vm.prank(feeder);
        oracle.setFeedPrice(p);
        assertEq(oracle.price(), p);
    }
}
