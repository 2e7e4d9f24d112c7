// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {ComputeMarket, ComputeMarketBase, ComputeMarketSettlement} from "../../src/compute/ComputeMarket.sol";
import {IComputeMarket} from "../../src/compute/interfaces/IComputeMarket.sol";
import {IInteractionReceipts} from "../../src/identity/interfaces/IInteractionReceipts.sol";
import {ReputationRegistry} from "../../src/identity/ReputationRegistry.sol";
import {ComputeTestBase} from "./utils/ComputeTestBase.sol";

/// @notice Unit tests of ComputeMarket: providers, jobs, matching, verification, slashing, payouts, admin.
contract ComputeMarketTest is ComputeTestBase {
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal dave = makeAddr("dave");
    address internal erin = makeAddr("erin");

    function setUp() public {
        _deployCompute();
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Deployment and admin
    // ─────────────────────────────────────────────────────────────────────────────

    function test_constructor_registersMarketAgent() public view {
        uint256 id = market.marketAgentId();
        assertEq(identity.ownerOf(id), address(market));
        assertEq(identity.tokenURI(id), "data:market");
        assertEq(market.token(), address(token));
        assertEq(market.identityRegistry(), address(identity));
        assertEq(market.validationRegistry(), address(validation));
        assertEq(market.treasury(), treasury);
        assertEq(market.owner(), owner);
        assertEq(market.jobCount(), 0);
        assertEq(market.MAX_BIDS(), 16);
        assertEq(market.MAX_REPLICAS(), 5);
        assertEq(market.MAX_ARBITERS(), 7);
        IComputeMarket.Config memory c = market.config();
        assertEq(c.minStake, MIN_STAKE);
        assertEq(c.slashAmount, SLASH);
        assertEq(c.challengeBond, BOND);
        assertEq(c.unstakeCooldown, COOLDOWN);
        assertEq(c.heartbeatTTL, TTL);
        assertEq(c.challengeWindow, CHALLENGE_WINDOW);
        assertEq(c.resolutionWindow, RESOLUTION_WINDOW);
        assertEq(c.rewardShareBps, REWARD_BPS);
        assertEq(market.arbiters().length, 3);
        assertTrue(market.settlement() != address(0));
    }

    function test_constructor_revertsZeroAddresses() public {
        IComputeMarket.Config memory c = _config();
        address i = address(identity);
        address v = address(validation);
        address t = address(token);
        vm.expectRevert(IComputeMarket.ZeroAddress.selector);
        new ComputeMarket(address(0), v, t, c, treasury, owner, "");
        vm.expectRevert(IComputeMarket.ZeroAddress.selector);
        new ComputeMarket(i, address(0), t, c, treasury, owner, "");
        vm.expectRevert(IComputeMarket.ZeroAddress.selector);
        new ComputeMarket(i, v, address(0), c, treasury, owner, "");
        vm.expectRevert(IComputeMarket.ZeroAddress.selector);
        new ComputeMarket(i, v, t, c, address(0), owner, "");
        vm.expectRevert(IComputeMarket.ZeroAddress.selector);
        new ComputeMarket(i, v, t, c, treasury, address(0), "");
    }

    function test_constructor_revertsInvalidConfig() public {
        IComputeMarket.Config memory c = _config();
        c.slashAmount = 0;
        _expectBadConfig(c, "slashAmount");
        c = _config();
        c.heartbeatTTL = 0;
        _expectBadConfig(c, "heartbeatTTL");
        c = _config();
        c.challengeWindow = 0;
        _expectBadConfig(c, "challengeWindow");
        c = _config();
        c.resolutionWindow = 0;
        _expectBadConfig(c, "resolutionWindow");
        c = _config();
        c.rewardShareBps = 10_001;
        _expectBadConfig(c, "rewardShareBps");
    }

    function _expectBadConfig(IComputeMarket.Config memory c, string memory field) internal {
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InvalidConfig.selector, field));
        new ComputeMarket(address(identity), address(validation), address(token), c, treasury, owner, "");
    }

    function test_setArbiters() public {
        address[] memory a = new address[](2);
        a[0] = alice;
        a[1] = bob;
        vm.expectEmit(address(market));
        emit IComputeMarket.ArbitersSet(a);
        vm.prank(owner);
        market.setArbiters(a);
        assertEq(market.arbiters(), a);
    }

    function test_setArbiters_reverts() public {
        address[] memory a = new address[](1);
        a[0] = alice;
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        market.setArbiters(a);

        address[] memory tooMany = new address[](8);
        for (uint256 i; i < 8; ++i) {
            tooMany[i] = address(uint160(i + 1));
        }
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InvalidConfig.selector, "arbiters"));
        market.setArbiters(tooMany);
        a = new address[](2);
        a[0] = alice;
        a[1] = alice;
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InvalidConfig.selector, "arbiters"));
        market.setArbiters(a);
        a[1] = address(0);
        vm.expectRevert(IComputeMarket.ZeroAddress.selector);
        market.setArbiters(a);
        vm.stopPrank();
    }

    function test_setTreasury() public {
        vm.expectEmit(address(market));
        emit IComputeMarket.TreasurySet(alice);
        vm.prank(owner);
        market.setTreasury(alice);
        assertEq(market.treasury(), alice);
        vm.prank(owner);
        vm.expectRevert(IComputeMarket.ZeroAddress.selector);
        market.setTreasury(address(0));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        market.setTreasury(alice);
    }

    function test_ownership_twoStep() public {
        vm.prank(owner);
        market.transferOwnership(alice);
        assertEq(market.owner(), owner);
        vm.prank(alice);
        market.acceptOwnership();
        assertEq(market.owner(), alice);
    }

    function test_settlement_directCallsTouchNothing() public {
        ComputeMarketSettlement ext = ComputeMarketSettlement(market.settlement());
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownJob.selector, 1));
        ext.finalize(1);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownJob.selector, 1));
        ext.settleRedundant(1);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Providers
    // ─────────────────────────────────────────────────────────────────────────────

    function test_register_byOwner() public {
        vm.prank(alice);
        uint256 id = identity.register();
        IComputeMarket.Resources memory r = _resources(CPU, 2, 4_096);
        vm.expectEmit(address(market));
        emit IComputeMarket.ProviderRegistered(id, alice, r);
        vm.expectEmit(address(market));
        emit IComputeMarket.Heartbeat(id, uint40(block.timestamp));
        vm.prank(alice);
        market.register(id, r);
        IComputeMarket.Provider memory p = market.getProvider(id);
        assertEq(p.operator, alice);
        assertEq(p.lastHeartbeat, block.timestamp);
        assertEq(p.resources.deviceCount, 2);
        assertEq(p.resources.memoryMB, 4_096);
        assertEq(p.resources.deviceKind, CPU);
        assertTrue(market.isLive(id));
        assertEq(market.reputationOf(id), 0);
    }

    function test_register_byApprovedOperatorOrWallet() public {
        vm.prank(alice);
        uint256 a = identity.register();
        vm.prank(alice);
        identity.approve(bob, a);
        vm.prank(bob);
        market.register(a, _resources(CPU, 1, 1_024));
        assertEq(market.getProvider(a).operator, bob);

        vm.prank(alice);
        uint256 b = identity.register();
        vm.prank(alice);
        identity.setApprovalForAll(carol, true);
        vm.prank(carol);
        market.register(b, _resources(CPU, 1, 1_024));
        assertEq(market.getProvider(b).operator, carol);
    }

    function test_register_byAgentWallet() public {
        // The agent wallet starts as the owner; an owner that is a contract account registers from it.
        vm.prank(dave);
        uint256 id = identity.register();
        assertEq(identity.getAgentWallet(id), dave);
        vm.prank(dave);
        market.register(id, _resources(CPU, 1, 1_024));
        assertEq(market.getProvider(id).operator, dave);
    }

    function test_register_reverts() public {
        vm.prank(alice);
        uint256 id = identity.register();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotAgentOwner.selector, id, bob));
        market.register(id, _resources(CPU, 1, 1_024));

        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InvalidResources.selector, "deviceKind"));
        market.register(id, _resources(bytes32(0), 1, 1_024));
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InvalidResources.selector, "deviceCount"));
        market.register(id, _resources(CPU, 0, 1_024));
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InvalidResources.selector, "memoryMB"));
        market.register(id, _resources(CPU, 1, 0));
        market.register(id, _resources(CPU, 1, 1_024));
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ProviderExists.selector, id));
        market.register(id, _resources(CPU, 1, 1_024));
        vm.stopPrank();

        vm.expectRevert(); // unknown agent: the registry's ownerOf reverts
        market.register(999, _resources(CPU, 1, 1_024));
    }

    function test_updateResources() public {
        uint256 id = _provider(alice);
        IComputeMarket.Resources memory r = _resources(GPU, 8, 65_536);
        vm.expectEmit(address(market));
        emit IComputeMarket.ProviderUpdated(id, r);
        vm.prank(alice);
        market.updateResources(id, r);
        assertEq(market.getProvider(id).resources.deviceKind, GPU);

        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotOperator.selector, id, bob));
        market.updateResources(id, r);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InvalidResources.selector, "deviceCount"));
        market.updateResources(id, _resources(GPU, 0, 1));
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownProvider.selector, 77));
        market.updateResources(77, r);
    }

    function test_stake_anyoneTopsUp() public {
        uint256 id = _provider(alice, 1, 0);
        _fund(bob, 500e6);
        vm.expectEmit(address(market));
        emit IComputeMarket.Staked(id, bob, 500e6, 500e6);
        vm.prank(bob);
        market.stake(id, 500e6);
        assertEq(market.getProvider(id).stake, 500e6);
        assertEq(token.balanceOf(address(market)), 500e6);
        _assertSolvent();

        vm.prank(bob);
        vm.expectRevert(IComputeMarket.ZeroAmount.selector);
        market.stake(id, 0);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownProvider.selector, 77));
        market.stake(77, 1);
    }

    function test_heartbeat_andLiveness() public {
        uint256 id = _provider(alice);
        vm.warp(block.timestamp + TTL);
        assertTrue(market.isLive(id));
        vm.warp(block.timestamp + 1);
        assertFalse(market.isLive(id));
        vm.expectEmit(address(market));
        emit IComputeMarket.Heartbeat(id, uint40(block.timestamp));
        vm.prank(alice);
        market.heartbeat(id);
        assertTrue(market.isLive(id));
        assertFalse(market.isLive(12345));
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotOperator.selector, id, bob));
        market.heartbeat(id);
    }

    function test_unstake_flow() public {
        uint256 id = _provider(alice);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnstakeNotRequested.selector, id));
        market.withdrawStake(id, alice);
        uint40 at = uint40(block.timestamp + COOLDOWN);
        vm.expectEmit(address(market));
        emit IComputeMarket.UnstakeRequested(id, at);
        market.requestUnstake(id);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ProviderUnstaking.selector, id));
        market.requestUnstake(id);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.CooldownNotOver.selector, id, at));
        market.withdrawStake(id, alice);
        vm.warp(at);
        vm.expectRevert(IComputeMarket.ZeroAddress.selector);
        market.withdrawStake(id, address(0));
        vm.expectEmit(address(market));
        emit IComputeMarket.StakeWithdrawn(id, bob, STAKE);
        market.withdrawStake(id, bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnstakeNotRequested.selector, id));
        market.withdrawStake(id, bob);
        market.requestUnstake(id);
        vm.warp(block.timestamp + COOLDOWN);
        vm.expectRevert(IComputeMarket.ZeroAmount.selector);
        market.withdrawStake(id, bob);
        vm.stopPrank();
        assertEq(token.balanceOf(bob), STAKE);
        assertEq(market.getProvider(id).stake, 0);
        _assertSolvent();
    }

    function test_unstake_lockedStakeBlocksWithdrawal() public {
        uint256 id = _provider(alice);
        uint256 job = _postRedundant(1);
        _bid(job, id, 1e6);
        vm.prank(alice);
        market.requestUnstake(id);
        vm.warp(block.timestamp + COOLDOWN);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.StakeLocked.selector, id, SLASH));
        market.withdrawStake(id, alice);
    }

    function test_unstake_stopsNewWork() public {
        uint256 id = _provider(alice);
        vm.prank(alice);
        market.requestUnstake(id);
        uint256 job = _postRedundant(1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ProviderUnstaking.selector, id));
        market.bid(job, id, 1e6);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Posting and cancelling
    // ─────────────────────────────────────────────────────────────────────────────

    function test_postJob_escrowsAndStores() public {
        IComputeMarket.JobSpec memory s = _spec(3, IComputeMarket.Mode.Redundant, 30);
        s.needs.region = EU;
        uint256 escrow = uint256(MAX_PRICE) * UNITS * 3;
        vm.expectEmit(address(market));
        emit IComputeMarket.JobPosted(
            1,
            poster,
            s.workloadDigest,
            s.inputDigest,
            s.workloadURI,
            s.inputURI,
            s.needs,
            s.maxPricePerUnit,
            s.units,
            s.deadline,
            s.bidWindow,
            s.replicas,
            s.mode,
            s.direct,
            escrow
        );
        uint256 before = token.balanceOf(poster);
        uint256 id = _post(s);
        assertEq(id, 1);
        assertEq(market.jobCount(), 1);
        assertEq(before - token.balanceOf(poster), escrow);
        IComputeMarket.Job memory j = market.getJob(id);
        assertEq(j.poster, poster);
        assertEq(uint8(j.status), uint8(IComputeMarket.JobStatus.Open));
        assertEq(j.replicas, 3);
        assertEq(j.escrow, escrow);
        assertEq(j.units, UNITS);
        assertEq(j.maxPricePerUnit, MAX_PRICE);
        assertEq(j.deadline, s.deadline);
        assertEq(j.bidWindow, 30);
        assertEq(j.postedAt, block.timestamp);
        assertEq(j.workloadDigest, s.workloadDigest);
        assertEq(j.inputDigest, s.inputDigest);
        assertEq(j.needs.deviceKind, CPU);
        assertEq(j.needs.minMemoryMB, 1_024);
        assertEq(j.needs.region, EU);
        assertEq(j.acceptedDigest, bytes32(0));
        _assertSolvent();
    }

    function test_postJob_directIgnoresBidWindow() public {
        IComputeMarket.JobSpec memory s = _spec(1, IComputeMarket.Mode.Redundant, 10_000);
        s.direct = true;
        uint256 id = _post(s);
        assertEq(market.getJob(id).bidWindow, 0);
        assertTrue(market.getJob(id).direct);
    }

    function test_postJob_revertsInvalidSpec() public {
        IComputeMarket.JobSpec memory s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.workloadDigest = 0;
        _expectBadSpec(s, "workloadDigest");
        s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.inputDigest = 0;
        _expectBadSpec(s, "inputDigest");
        s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.needs.deviceKind = 0;
        _expectBadSpec(s, "needs.deviceKind");
        s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.maxPricePerUnit = 0;
        _expectBadSpec(s, "maxPricePerUnit");
        s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.units = 0;
        _expectBadSpec(s, "units");
        _expectBadSpec(_spec(0, IComputeMarket.Mode.Redundant, 0), "replicas");
        _expectBadSpec(_spec(6, IComputeMarket.Mode.Redundant, 0), "replicas");
        _expectBadSpec(_spec(2, IComputeMarket.Mode.Optimistic, 0), "replicas");
        // M5: redundant replicas are odd; H2: direct jobs have one replica
        _expectBadSpec(_spec(2, IComputeMarket.Mode.Redundant, 0), "replicas");
        _expectBadSpec(_spec(4, IComputeMarket.Mode.Redundant, 0), "replicas");
        s = _spec(3, IComputeMarket.Mode.Redundant, 0);
        s.direct = true;
        _expectBadSpec(s, "replicas");
        s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.deadline = uint40(block.timestamp);
        _expectBadSpec(s, "deadline");
        // M1: at least MIN_RUN_TIME after the bid window
        s.deadline = uint40(block.timestamp + market.MIN_RUN_TIME() - 1);
        _expectBadSpec(s, "deadline");
        s.direct = true;
        _expectBadSpec(s, "deadline");
        _expectBadSpec(_spec(1, IComputeMarket.Mode.Redundant, 1_000), "bidWindow");
        _expectBadSpec(_spec(1, IComputeMarket.Mode.Redundant, 971), "bidWindow");
        _post(_spec(1, IComputeMarket.Mode.Redundant, 970));
        s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.deadline = uint40(block.timestamp + market.MIN_RUN_TIME());
        _post(s);
        s = _spec(5, IComputeMarket.Mode.Redundant, 0);
        s.maxPricePerUnit = type(uint96).max;
        _expectBadSpec(s, "maxPricePerUnit");
    }

    function _expectBadSpec(IComputeMarket.JobSpec memory s, string memory field) internal {
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InvalidJobSpec.selector, field));
        vm.prank(poster);
        market.postJob(s);
    }

    function test_cancel_refundsAsCredit() public {
        uint256 id = _postRedundant(3);
        uint256 escrow = uint256(MAX_PRICE) * UNITS * 3;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotPoster.selector, id, alice));
        market.cancel(id);
        vm.expectEmit(address(market));
        emit IComputeMarket.JobCancelled(id, escrow);
        vm.prank(poster);
        market.cancel(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Cancelled));
        assertEq(market.getJob(id).escrow, 0);
        assertEq(market.creditOf(poster), escrow);
        _assertSolvent();
        vm.prank(poster);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Cancelled)
        );
        market.cancel(id);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownJob.selector, 99));
        market.cancel(99);
    }

    function test_cancel_revertsOnceAssigned() public {
        uint256 p = _provider(alice);
        uint256 id = _postRedundant(3);
        _bid(id, p, 1e6);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarketBase.JobHasAssignments.selector, id, 1));
        market.cancel(id);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Auction
    // ─────────────────────────────────────────────────────────────────────────────

    function test_bid_zeroWindowAssignsAtOnce() public {
        uint256 a = _provider(alice);
        uint256 b = _provider(bob);
        uint256 d = _provider(dave);
        uint256 id = _postRedundant(3);
        vm.expectEmit(address(market));
        emit IComputeMarket.BidPlaced(id, a, 2e6, 0);
        vm.expectEmit(address(market));
        emit IComputeMarket.Assigned(id, a, 0, 2e6);
        _bid(id, a, 2e6);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Open));
        _bid(id, b, 3e6);
        _bid(id, d, 3e6);
        IComputeMarket.Job memory j = market.getJob(id);
        assertEq(uint8(j.status), uint8(IComputeMarket.JobStatus.Assigned));
        assertEq(j.assigned, 3);
        IComputeMarket.Assignment[] memory as_ = market.getAssignments(id);
        assertEq(as_.length, 3);
        assertEq(as_[0].providerId, a);
        assertEq(as_[1].providerId, b);
        assertEq(as_[1].pricePerUnit, 3e6);
        assertEq(market.getProvider(a).locked, SLASH);
        assertEq(market.getProvider(a).activeJobs, 1);
        assertEq(market.getBids(id).length, 0);

        uint256 c = _provider(carol);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Assigned)
        );
        market.bid(id, c, 1e6);
    }

    function test_bid_reverts() public {
        uint256 a = _provider(alice);
        uint256 id = _post(_spec(3, IComputeMarket.Mode.Redundant, 100));
        vm.startPrank(alice);
        vm.expectRevert(IComputeMarket.ZeroAmount.selector);
        market.bid(id, a, 0);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.PriceTooHigh.selector, id, MAX_PRICE + 1, MAX_PRICE));
        market.bid(id, a, MAX_PRICE + 1);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownJob.selector, 42));
        market.bid(42, a, 1);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownProvider.selector, 42));
        market.bid(id, 42, 1);
        market.bid(id, a, 1e6);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.AlreadyInJob.selector, id, a));
        market.bid(id, a, 1e6);
        vm.stopPrank();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotOperator.selector, a, bob));
        market.bid(id, a, 1e6);

        vm.warp(block.timestamp + 100);
        uint256 b = _provider(bob);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.BidWindowClosed.selector, id));
        market.bid(id, b, 1e6);

        IComputeMarket.JobSpec memory s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.direct = true;
        uint256 d = _post(s);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotAuction.selector, d));
        market.bid(d, b, 1e6);

        uint256 late = _postRedundant(1);
        uint40 deadline = market.getJob(late).deadline;
        vm.warp(deadline);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.DeadlinePassed.selector, late, deadline));
        market.bid(late, b, 1e6);
    }

    function test_bid_eligibilityErrors() public {
        uint256 id = _postRedundant(3);
        // not live
        uint256 a = _provider(alice);
        vm.warp(block.timestamp + TTL + 1);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.ProviderNotLive.selector, a, uint40(block.timestamp - TTL - 1))
        );
        market.bid(id, a, 1e6);
        id = _postRedundant(3);
        // short of free stake: needs max(minStake, slash) = minStake
        uint256 b = _provider(bob, 1, MIN_STAKE - 1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InsufficientStake.selector, b, MIN_STAKE - 1, MIN_STAKE));
        market.bid(id, b, 1e6);
        // no capacity: one device, one running job
        uint256 c = _provider(carol, 1, STAKE);
        _bid(id, c, 1e6);
        uint256 id2 = _postRedundant(1);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NoFreeCapacity.selector, c));
        market.bid(id2, c, 1e6);
        // resources
        uint256 d = _provider(dave);
        vm.prank(dave);
        market.updateResources(d, _resources(GPU, 1, 8_192));
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ResourcesMismatch.selector, d, "deviceKind"));
        market.bid(id2, d, 1e6);
        vm.prank(dave);
        market.updateResources(d, _resources(CPU, 1, 512));
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ResourcesMismatch.selector, d, "memoryMB"));
        market.bid(id2, d, 1e6);
        IComputeMarket.JobSpec memory s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.needs.region = "us-east";
        uint256 id3 = _post(s);
        vm.prank(dave);
        market.updateResources(d, _resources(CPU, 1, 8_192));
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ResourcesMismatch.selector, d, "region"));
        market.bid(id3, d, 1e6);
    }

    function test_bid_freeStakeCoversEachLock() public {
        // stake = minStake + slash: the first slot leaves minStake free, the second needs minStake again.
        uint256 a = _provider(alice, 4, MIN_STAKE + SLASH);
        _bid(_postRedundant(1), a, 1e6);
        _bid(_postRedundant(1), a, 1e6);
        uint256 id = _postRedundant(1);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.InsufficientStake.selector, a, MIN_STAKE - SLASH, MIN_STAKE)
        );
        market.bid(id, a, 1e6);
    }

    function test_auction_bookSortedByScore() public {
        uint256 a = _provider(alice);
        uint256 b = _provider(bob);
        uint256 c = _provider(carol);
        uint256 d = _provider(dave);
        uint256 id = _post(_spec(3, IComputeMarket.Mode.Redundant, 100));
        _bid(id, a, 3e6);
        _bid(id, b, 2e6);
        _bid(id, c, 3e6); // ties with alice: stays after her
        _bid(id, d, 4e6);
        IComputeMarket.Bid[] memory bids = market.getBids(id);
        assertEq(bids.length, 4);
        assertEq(bids[0].providerId, b);
        assertEq(bids[1].providerId, a);
        assertEq(bids[2].providerId, c);
        assertEq(bids[3].providerId, d);

        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.BidWindowOpen.selector, id, uint40(block.timestamp + 100))
        );
        market.assign(id);
        vm.warp(block.timestamp + 100);
        vm.expectEmit(address(market));
        emit IComputeMarket.Assigned(id, b, 0, 2e6);
        vm.expectEmit(address(market));
        emit IComputeMarket.Assigned(id, a, 1, 3e6);
        vm.expectEmit(address(market));
        emit IComputeMarket.Assigned(id, c, 2, 3e6);
        vm.expectEmit(address(market));
        emit IComputeMarket.AuctionClosed(id, 3, 0);
        market.assign(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Assigned));
        assertEq(market.getProvider(d).activeJobs, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Assigned)
        );
        market.assign(id);
    }

    function test_auction_reputationWeighsPrice() public {
        uint256 veteran = _provider(alice);
        uint256 rookie = _provider(bob);
        // the veteran completes 9 jobs: reputation 100*9/10 = 90
        for (uint256 i; i < 9; ++i) {
            uint256 j = _postRedundant(1);
            _bid(j, veteran, 1e6);
            _commit(j, veteran, GOOD);
        }
        assertEq(market.reputationOf(veteran), 90);
        uint256 id = _post(_spec(1, IComputeMarket.Mode.Redundant, 100));
        _bid(id, rookie, 2e6); // score 2e6*200/100 = 4e6
        _bid(id, veteran, 3e6); // score 3e6*200/190 = 3.157e6: better
        IComputeMarket.Bid[] memory bids = market.getBids(id);
        assertEq(bids[0].providerId, veteran);
        assertEq(bids[0].reputation, 90);
        assertEq(bids[1].providerId, rookie);
    }

    function test_auction_fullBookEvictsWorst() public {
        uint256 id = _post(_spec(1, IComputeMarket.Mode.Redundant, 100));
        uint256[] memory ids = new uint256[](17);
        for (uint256 i; i < 17; ++i) {
            ids[i] = _provider(address(uint160(0x1000 + i)));
        }
        for (uint256 i; i < 16; ++i) {
            _bid(id, ids[i], uint96(2e6 + i));
        }
        address last = _operator(ids[16]);
        vm.prank(last);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.BidNotCompetitive.selector, id, ids[16]));
        market.bid(id, ids[16], uint96(2e6 + 16));
        // equal score to the worst is not better either
        vm.prank(last);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.BidNotCompetitive.selector, id, ids[16]));
        market.bid(id, ids[16], uint96(2e6 + 15));
        _bid(id, ids[16], 1e6);
        IComputeMarket.Bid[] memory bids = market.getBids(id);
        assertEq(bids.length, 16);
        assertEq(bids[0].providerId, ids[16]);
        assertEq(bids[15].providerId, ids[14]);
        // the evicted bidder may bid again, better
        _bid(id, ids[15], 1e6 + 1);
        bids = market.getBids(id);
        assertEq(bids[1].providerId, ids[15]);
    }

    function test_assign_skipsIneligibleAndNeedsEnough() public {
        uint256 a = _provider(alice);
        uint256 b = _provider(bob);
        uint256 c = _provider(carol);
        uint256 e = _provider(erin);
        uint256 id = _post(_spec(3, IComputeMarket.Mode.Redundant, 100));
        _bid(id, a, 1e6);
        _bid(id, b, 2e6);
        _bid(id, c, 3e6);
        _bid(id, e, 4e6);
        vm.prank(alice);
        market.requestUnstake(a);
        vm.warp(block.timestamp + 100);
        market.assign(id);
        IComputeMarket.Assignment[] memory as_ = market.getAssignments(id);
        assertEq(as_[0].providerId, b);
        assertEq(as_[1].providerId, c);
        assertEq(as_[2].providerId, e);

        // M3: fewer eligible bids than slots: those are assigned, the auction closes, later bids fill the rest
        uint256 id2 = _post(_spec(3, IComputeMarket.Mode.Redundant, 100));
        uint256 d = _provider(dave, 8, STAKE);
        _bid(id2, d, 1e6);
        vm.warp(block.timestamp + 100);
        vm.expectEmit(address(market));
        emit IComputeMarket.AuctionClosed(id2, 1, 2);
        market.assign(id2);
        assertEq(market.getJob(id2).bidWindow, 0);
        assertEq(market.getJob(id2).assigned, 1);
        // nothing left to do: reverts
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotEnoughBids.selector, id2, 0, 2));
        market.assign(id2);
        _beat(b);
        _bid(id2, b, 2e6); // assigned at once
        assertEq(market.getJob(id2).assigned, 2);
        // M1: no slot is taken with less than MIN_RUN_TIME left
        uint40 deadline = market.getJob(id2).deadline;
        vm.warp(deadline - market.MIN_RUN_TIME() + 1);
        _beat(c);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NoTimeToRun.selector, id2, deadline));
        market.bid(id2, c, 1e6);
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.DeadlinePassed.selector, id2, deadline));
        market.assign(id2);
        // H1: not fully assigned at the deadline: Expired, slots released without pay or slash, poster refunded
        market.finalize(id2);
        assertEq(uint8(market.getJob(id2).status), uint8(IComputeMarket.JobStatus.Expired));
        assertEq(market.getProvider(d).locked, 0);
        assertEq(market.getProvider(d).slashes, 0);
        assertEq(market.getProvider(b).activeJobs, 1); // its slot of job `id`
        _assertSolvent();
    }

    function test_assign_revertsForDirect() public {
        IComputeMarket.JobSpec memory s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.direct = true;
        uint256 id = _post(s);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotAuction.selector, id));
        market.assign(id);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Direct offers
    // ─────────────────────────────────────────────────────────────────────────────

    function test_direct_offerAndAccept() public {
        uint256 a = _provider(alice);
        uint256 b = _provider(bob);
        uint256 c = _provider(carol);
        IComputeMarket.JobSpec memory s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.direct = true;
        uint256 id = _post(s);
        vm.startPrank(poster);
        vm.expectEmit(address(market));
        emit IComputeMarket.Offered(id, a, 2e6);
        market.offer(id, a, 2e6);
        market.offer(id, b, 3e6);
        market.offer(id, c, 4e6);
        vm.stopPrank();
        assertEq(market.getOffer(id, a), 2e6);

        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotOperator.selector, a, bob));
        market.accept(id, a);
        vm.prank(alice);
        vm.expectEmit(address(market));
        emit IComputeMarket.Assigned(id, a, 0, 2e6);
        market.accept(id, a);
        assertEq(market.getOffer(id, a), 0);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Assigned));
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Assigned)
        );
        market.accept(id, a);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Assigned)
        );
        market.accept(id, c);
        assertEq(market.getAssignments(id)[0].pricePerUnit, 2e6);
        assertEq(market.getOffer(id, b), 3e6);
    }

    function test_direct_reverts() public {
        uint256 a = _provider(alice);
        uint256 auction = _postRedundant(1);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotDirect.selector, auction));
        market.offer(auction, a, 1e6);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotDirect.selector, auction));
        market.accept(auction, a);

        IComputeMarket.JobSpec memory s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.direct = true;
        uint256 id = _post(s);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotPoster.selector, id, alice));
        market.offer(id, a, 1e6);
        vm.startPrank(poster);
        vm.expectRevert(IComputeMarket.ZeroAmount.selector);
        market.offer(id, a, 0);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.PriceTooHigh.selector, id, MAX_PRICE + 1, MAX_PRICE));
        market.offer(id, a, MAX_PRICE + 1);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownProvider.selector, 99));
        market.offer(id, 99, 1e6);
        market.offer(id, a, 1e6);
        vm.stopPrank();

        // an offer does not bypass eligibility
        vm.warp(block.timestamp + TTL + 1);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.ProviderNotLive.selector, a, uint40(block.timestamp - TTL - 1))
        );
        market.accept(id, a);
        uint40 deadline = market.getJob(id).deadline;
        vm.warp(deadline);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.DeadlinePassed.selector, id, deadline));
        market.accept(id, a);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.DeadlinePassed.selector, id, deadline));
        market.offer(id, a, 1e6);
        market.finalize(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Expired));
        assertEq(market.creditOf(poster), uint256(MAX_PRICE) * UNITS);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Results: redundant
    // ─────────────────────────────────────────────────────────────────────────────

    function test_commit_reverts() public {
        uint256 a = _provider(alice);
        uint256 b = _provider(bob);
        uint256 c0 = _provider(erin);
        uint256 id = _postRedundant(3);
        _bid(id, a, 1e6);
        // H1: no commit before every slot is filled
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Open));
        market.commitResult(id, a, GOOD, "");
        _bid(id, c0, 1e6);
        _bid(id, b, 1e6);
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownProvider.selector, 77));
        market.commitResult(id, 77, GOOD, "");
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotOperator.selector, a, bob));
        market.commitResult(id, a, GOOD, "");
        vm.startPrank(alice);
        vm.expectRevert(IComputeMarket.ZeroDigest.selector);
        market.commitResult(id, a, bytes32(0), "");
        market.commitResult(id, a, GOOD, "ipfs://out");
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.AlreadyCommitted.selector, id, a));
        market.commitResult(id, a, GOOD, "");
        vm.stopPrank();
        uint40 deadline = market.getJob(id).deadline;
        vm.warp(deadline);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.DeadlinePassed.selector, id, deadline));
        market.commitResult(id, b, GOOD, "");
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownJob.selector, 50));
        market.commitResult(50, b, GOOD, "");

        // a bidder without a slot cannot commit (the job is still Open)
        uint256 c = _provider(carol);
        uint256 id2 = _post(_spec(1, IComputeMarket.Mode.Redundant, 100));
        _bid(id2, c, 1e6);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id2, IComputeMarket.JobStatus.Open));
        market.commitResult(id2, c, GOOD, "");
        // a provider without a slot of an Assigned job is not assigned
        uint256 id3 = _postRedundant(1);
        _bid(id3, c, 1e6);
        vm.prank(dave);
        uint256 dv = identity.register();
        vm.prank(dave);
        market.register(dv, _resources(CPU, 4, 8_192));
        vm.prank(dave);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotAssigned.selector, id3, dv));
        market.commitResult(id3, dv, GOOD, "");
    }

    function test_redundant_allAgree_paysAndRefundsDifference() public {
        uint256 a = _provider(alice);
        uint256 b = _provider(bob);
        uint256 c = _provider(carol);
        uint256 id = _postRedundant(3);
        _bid(id, a, 1e6);
        _bid(id, b, 2e6);
        _bid(id, c, 3e6);
        _commit(id, a, GOOD);
        _commit(id, b, GOOD);
        vm.expectEmit(address(market));
        emit IComputeMarket.ProviderPaid(id, a, 1e6 * UNITS, market.receiptIdFor(id, a));
        _commit(id, c, GOOD);
        IComputeMarket.Job memory j = market.getJob(id);
        assertEq(uint8(j.status), uint8(IComputeMarket.JobStatus.Completed));
        assertEq(j.acceptedDigest, GOOD);
        assertEq(j.escrow, 0);
        assertEq(market.creditOf(alice), 1e6 * UNITS);
        assertEq(market.creditOf(bob), 2e6 * UNITS);
        assertEq(market.creditOf(carol), 3e6 * UNITS);
        assertEq(market.creditOf(poster), (uint256(MAX_PRICE) * 3 - 6e6) * UNITS);
        assertEq(market.getProvider(a).locked, 0);
        assertEq(market.getProvider(a).activeJobs, 0);
        assertEq(market.getProvider(a).completed, 1);
        assertEq(market.reputationOf(a), 50);
        IComputeMarket.Assignment[] memory as_ = market.getAssignments(id);
        for (uint256 i; i < 3; ++i) {
            assertTrue(as_[i].paid);
            assertFalse(as_[i].slashed);
            assertEq(as_[i].outputDigest, GOOD);
        }
        _assertSolvent();

        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Completed)
        );
        market.finalize(id);
    }

    function test_redundant_minoritySlashed_rewardSplitAmongMajority() public {
        uint256 a = _provider(alice);
        uint256 b = _provider(bob);
        uint256 c = _provider(carol);
        uint256 id = _postRedundant(3);
        _bid(id, a, 1e6);
        _bid(id, b, 1e6);
        _bid(id, c, 1e6);
        _commit(id, a, GOOD);
        _commit(id, b, BAD);
        uint256 reward = uint256(SLASH) * REWARD_BPS / 10_000;
        vm.expectEmit(address(market));
        emit IComputeMarket.Slashed(b, id, IComputeMarket.SlashReason.WrongResult, SLASH, address(0), reward);
        _commit(id, c, GOOD);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Completed));
        assertEq(market.getJob(id).acceptedDigest, GOOD);
        assertEq(market.creditOf(alice), 1e6 * UNITS + reward / 2);
        assertEq(market.creditOf(carol), 1e6 * UNITS + reward / 2);
        assertEq(market.creditOf(bob), 0);
        assertEq(market.creditOf(treasury), SLASH - reward);
        IComputeMarket.Provider memory pb = market.getProvider(b);
        assertEq(pb.stake, STAKE - SLASH);
        assertEq(pb.locked, 0);
        assertEq(pb.slashes, 1);
        assertEq(pb.activeJobs, 0);
        assertEq(market.reputationOf(b), 0);
        assertTrue(market.getAssignments(id)[1].slashed);
        assertFalse(market.getAssignments(id)[1].paid);
        // refund: the slashed replica's whole escrow and the unused price margin
        assertEq(market.creditOf(poster), uint256(MAX_PRICE) * 3 * UNITS - 2e6 * UNITS);
        _assertSolvent();
    }

    function test_redundant_twoReplicasOneWinner_rewardToThatOperator() public {
        uint256 a = _provider(alice);
        uint256 b = _provider(bob);
        uint256 c = _provider(carol);
        uint256 id = _postRedundant(3);
        _bid(id, a, 1e6);
        _bid(id, b, 1e6);
        _bid(id, c, 1e6);
        _commit(id, a, GOOD);
        _commit(id, b, GOOD);
        uint40 deadline = market.getJob(id).deadline;
        vm.warp(deadline);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.DeadlinePassed.selector, id, deadline));
        market.commitResult(id, c, BAD, "");
        uint256 reward = uint256(SLASH) * REWARD_BPS / 10_000;
        vm.expectEmit(address(market));
        emit IComputeMarket.Slashed(c, id, IComputeMarket.SlashReason.NoShow, SLASH, treasury, reward);
        market.finalize(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Completed));
        // M1: the no-show's slash goes wholly to the treasury, not to the poster
        assertEq(market.creditOf(poster), (uint256(MAX_PRICE) * 3 - 2e6) * UNITS);
        assertEq(market.creditOf(treasury), SLASH);
        _assertSolvent();
    }

    function test_redundant_noMajority_failsWithoutSlashing() public {
        uint256 a = _provider(alice);
        uint256 b = _provider(bob);
        uint256 c = _provider(carol);
        uint256 id = _postRedundant(3);
        _bid(id, a, 1e6);
        _bid(id, b, 1e6);
        _bid(id, c, 1e6);
        _commit(id, a, GOOD);
        _commit(id, b, BAD);
        vm.expectEmit(address(market));
        emit IComputeMarket.JobFinalized(
            id, IComputeMarket.JobStatus.Failed, bytes32(0), uint256(MAX_PRICE) * 3 * UNITS
        );
        _commit(id, c, keccak256("other"));
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Failed));
        assertEq(market.creditOf(poster), uint256(MAX_PRICE) * 3 * UNITS);
        for (uint256 i; i < 3; ++i) {
            IComputeMarket.Provider memory p = market.getProvider(market.getAssignments(id)[i].providerId);
            assertEq(p.stake, STAKE);
            assertEq(p.slashes, 0);
            assertEq(p.locked, 0);
            assertEq(p.activeJobs, 0);
        }
        _assertSolvent();
    }

    function test_redundant_deadline_minorityOfReplicasIsNoMajority() public {
        uint256 a = _provider(alice);
        uint256 b = _provider(bob);
        uint256 c = _provider(carol);
        uint256 id = _postRedundant(3);
        _bid(id, a, 1e6);
        _bid(id, b, 1e6);
        _bid(id, c, 1e6);
        _commit(id, a, GOOD);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotFinalizable.selector, id, "deadline not reached"));
        market.finalize(id);
        vm.warp(market.getJob(id).deadline);
        market.finalize(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Failed));
        assertEq(market.getProvider(a).slashes, 0);
        assertEq(market.getProvider(a).stake, STAKE);
        assertEq(market.getProvider(b).slashes, 1);
        assertEq(market.getProvider(c).slashes, 1);
        assertEq(market.creditOf(poster), uint256(MAX_PRICE) * 3 * UNITS);
        assertEq(market.creditOf(treasury), 2 * uint256(SLASH));
        _assertSolvent();
    }

    /// @dev H1 (review): a partly filled job at its deadline expires; its providers are released with neither pay
    ///      nor slash (they could not commit), the poster gets the whole escrow back and no slash share.
    function test_redundant_partlyFilledOpenJobExpiresAtDeadline() public {
        uint256 a = _provider(alice);
        uint256 b = _provider(bob);
        uint256 id = _postRedundant(3);
        _bid(id, a, 1e6);
        _bid(id, b, 1e6);
        vm.warp(market.getJob(id).deadline);
        vm.expectEmit(address(market));
        emit IComputeMarket.JobFinalized(id, IComputeMarket.JobStatus.Expired, bytes32(0), uint256(MAX_PRICE) * 3 * UNITS);
        market.finalize(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Expired));
        for (uint256 i; i < 2; ++i) {
            IComputeMarket.Provider memory p = market.getProvider(i == 0 ? a : b);
            assertEq(p.locked, 0);
            assertEq(p.activeJobs, 0);
            assertEq(p.slashes, 0);
            assertEq(p.stake, STAKE);
        }
        assertEq(market.creditOf(poster), uint256(MAX_PRICE) * 3 * UNITS);
        assertEq(market.creditOf(treasury), 0);
        _assertSolvent();
    }

    function test_finalize_openBeforeDeadline_andExpiry() public {
        uint256 id = _postRedundant(1);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotFinalizable.selector, id, "deadline not reached"));
        market.finalize(id);
        vm.warp(market.getJob(id).deadline);
        vm.expectEmit(address(market));
        emit IComputeMarket.JobFinalized(id, IComputeMarket.JobStatus.Expired, bytes32(0), uint256(MAX_PRICE) * UNITS);
        market.finalize(id);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Expired)
        );
        market.finalize(id);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownJob.selector, 7));
        market.finalize(7);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Results: optimistic
    // ─────────────────────────────────────────────────────────────────────────────

    function _optimisticCommitted(bytes32 digest) internal returns (uint256 id, uint256 p) {
        p = _provider(alice);
        id = _postOptimistic();
        _bid(id, p, 2e6);
        _commit(id, p, digest);
    }

    function test_optimistic_paidAfterWindow() public {
        (uint256 id, uint256 p) = _optimisticCommitted(GOOD);
        assertEq(market.getJob(id).challengeEndsAt, block.timestamp + CHALLENGE_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotFinalizable.selector, id, "challenge window open"));
        market.finalize(id);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        market.finalize(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Completed));
        assertEq(market.getJob(id).acceptedDigest, GOOD);
        assertEq(market.creditOf(alice), 2e6 * UNITS);
        assertEq(market.creditOf(poster), (uint256(MAX_PRICE) - 2e6) * UNITS);
        assertEq(market.getProvider(p).completed, 1);
        _assertSolvent();
    }

    function test_optimistic_noShowSlashed() public {
        uint256 p = _provider(alice);
        uint256 id = _postOptimistic();
        _bid(id, p, 2e6);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotFinalizable.selector, id, "deadline not reached"));
        market.finalize(id);
        vm.warp(market.getJob(id).deadline);
        market.finalize(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Failed));
        assertEq(market.getProvider(p).stake, STAKE - SLASH);
        assertEq(market.creditOf(poster), uint256(MAX_PRICE) * UNITS);
        assertEq(market.creditOf(treasury), SLASH);
        _assertSolvent();
    }

    function test_challenge_opensValidationRequests() public {
        (uint256 id,) = _optimisticCommitted(BAD);
        vm.prevrandao(bytes32(uint256(42)));
        bytes32[] memory hashes = new bytes32[](3);
        for (uint256 i; i < 3; ++i) {
            hashes[i] = _requestHash(id, i, challenger, 0);
        }
        uint40 resolveBy = uint40(block.timestamp + RESOLUTION_WINDOW);
        vm.expectEmit(address(market));
        emit IComputeMarket.ChallengeOpened(id, challenger, GOOD, resolveBy, hashes);
        vm.prank(challenger);
        market.challenge(id, GOOD);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Challenged));
        IComputeMarket.Challenge memory c = market.getChallenge(id);
        assertEq(c.challenger, challenger);
        assertEq(c.claimedDigest, GOOD);
        assertEq(c.resolveBy, resolveBy);
        assertEq(c.requestHashes, hashes);
        assertFalse(c.resolved);
        (address v, uint256 agent,,,,) = validation.getValidationStatus(hashes[1]);
        assertEq(v, arbiterSet[1]);
        assertEq(agent, market.marketAgentId());
        assertEq(token.balanceOf(challenger), 1_000e6 - BOND);
        _assertSolvent();

        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotFinalizable.selector, id, "challenged"));
        market.finalize(id);
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Challenged)
        );
        market.challenge(id, GOOD);
    }

    function test_challenge_reverts() public {
        (uint256 id,) = _optimisticCommitted(BAD);
        vm.startPrank(challenger);
        vm.expectRevert(IComputeMarket.ZeroDigest.selector);
        market.challenge(id, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.SameDigest.selector, id));
        market.challenge(id, BAD);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ChallengeWindowClosed.selector, id));
        market.challenge(id, GOOD);
        vm.stopPrank();

        // not committed yet
        uint256 p = _provider(bob);
        uint256 id2 = _postOptimistic();
        _bid(id2, p, 1e6);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ChallengeWindowClosed.selector, id2));
        market.challenge(id2, GOOD);
        // redundant jobs have no challenge window
        uint256 q = _provider(carol);
        uint256 id3 = _postRedundant(1);
        _bid(id3, q, 1e6);
        vm.prank(_operator(q));
        market.commitResult(id3, q, GOOD, "");
        uint256 r = _provider(dave);
        id3 = _postRedundant(3);
        _bid(id3, p, 1e6);
        _bid(id3, q, 1e6);
        _bid(id3, r, 1e6);
        _commit(id3, p, GOOD);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ChallengeWindowClosed.selector, id3));
        market.challenge(id3, BAD);
        // open job
        uint256 id4 = _postOptimistic();
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id4, IComputeMarket.JobStatus.Open));
        market.challenge(id4, BAD);
        // no arbiters
        _commit(id2, p, BAD);
        vm.prank(owner);
        market.setArbiters(new address[](0));
        vm.prank(challenger);
        vm.expectRevert(IComputeMarket.NoArbiters.selector);
        market.challenge(id2, GOOD);
    }

    function test_resolve_upheldByMajority() public {
        (uint256 id, uint256 p) = _optimisticCommitted(BAD);
        vm.prank(challenger);
        market.challenge(id, GOOD);
        _answer(id, 0, 0);
        _answer(id, 1, 10);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ChallengeNotResolvable.selector, id, "awaiting answers"));
        market.resolveChallenge(id);
        _answer(id, 2, 100);
        uint256 reward = uint256(SLASH) * REWARD_BPS / 10_000;
        vm.expectEmit(address(market));
        emit IComputeMarket.ChallengeResolved(id, true, 1, 2);
        vm.expectEmit(address(market));
        emit IComputeMarket.Slashed(p, id, IComputeMarket.SlashReason.ChallengeUpheld, SLASH, challenger, reward);
        market.resolveChallenge(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Failed));
        assertEq(market.creditOf(challenger), BOND + reward);
        assertEq(market.creditOf(treasury), SLASH - reward);
        assertEq(market.creditOf(poster), uint256(MAX_PRICE) * UNITS);
        assertEq(market.creditOf(alice), 0);
        assertEq(market.getProvider(p).stake, STAKE - SLASH);
        assertEq(market.getProvider(p).slashes, 1);
        IComputeMarket.Challenge memory c = market.getChallenge(id);
        assertTrue(c.resolved);
        assertTrue(c.upheld);
        _assertSolvent();
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Failed)
        );
        market.resolveChallenge(id);
    }

    function test_resolve_rejected_bondToProvider() public {
        (uint256 id, uint256 p) = _optimisticCommitted(GOOD);
        vm.prank(challenger);
        market.challenge(id, BAD);
        _answer(id, 0, 100);
        _answer(id, 1, 0);
        _answer(id, 2, 50);
        market.resolveChallenge(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Completed));
        assertEq(market.getJob(id).acceptedDigest, GOOD);
        assertEq(market.creditOf(alice), 2e6 * UNITS + BOND);
        assertEq(market.creditOf(challenger), 0);
        assertEq(market.getProvider(p).slashes, 0);
        assertFalse(market.getChallenge(id).upheld);
        assertTrue(market.getChallenge(id).resolved);
        _assertSolvent();
    }

    function test_resolve_timeout_countsGivenAnswers() public {
        (uint256 id,) = _optimisticCommitted(BAD);
        vm.prank(challenger);
        market.challenge(id, GOOD);
        _answer(id, 1, 0);
        _answer(id, 2, 0);
        vm.warp(block.timestamp + RESOLUTION_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ChallengeNotResolvable.selector, id, "awaiting answers"));
        market.resolveChallenge(id);
        vm.warp(block.timestamp + 1);
        market.resolveChallenge(id); // 2 of 3 answered: quorum
        assertTrue(market.getChallenge(id).upheld);
        _assertSolvent();
    }

    /// @dev M4 (review): without a quorum (a strict majority of the arbiters asked answering by `resolveBy`) there
    ///      is no verdict: the bond goes back to the challenger, the provider is paid, nobody is slashed.
    function test_resolve_timeout_noAnswersNoQuorum() public {
        (uint256 id, uint256 p) = _optimisticCommitted(GOOD);
        vm.prank(challenger);
        market.challenge(id, BAD);
        _answer(id, 0, 0); // one of three: no quorum
        vm.warp(block.timestamp + RESOLUTION_WINDOW + 1);
        vm.expectEmit(address(market));
        emit IComputeMarket.ChallengeNoQuorum(id, 1, 3);
        vm.expectEmit(address(market));
        emit IComputeMarket.ChallengeResolved(id, false, 0, 1);
        market.resolveChallenge(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Completed));
        assertEq(market.getProvider(p).slashes, 0);
        assertEq(market.creditOf(challenger), BOND);
        assertEq(market.creditOf(alice), 2e6 * UNITS);
        _assertSolvent();
    }

    function test_resolve_tieIsNotUpheld() public {
        (uint256 id,) = _optimisticCommitted(GOOD);
        vm.prank(challenger);
        market.challenge(id, BAD);
        _answer(id, 0, 0);
        _answer(id, 1, 99);
        vm.warp(block.timestamp + RESOLUTION_WINDOW + 1);
        market.resolveChallenge(id);
        assertFalse(market.getChallenge(id).upheld);
    }

    function test_resolve_arbitersChangedLater_keepTheirRequests() public {
        (uint256 id,) = _optimisticCommitted(BAD);
        vm.prank(challenger);
        market.challenge(id, GOOD);
        address[] memory a = new address[](1);
        a[0] = alice;
        vm.prank(owner);
        market.setArbiters(a);
        _answer(id, 0, 0);
        _answer(id, 1, 0);
        _answer(id, 2, 0);
        market.resolveChallenge(id);
        assertTrue(market.getChallenge(id).upheld);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Payouts and receipts
    // ─────────────────────────────────────────────────────────────────────────────

    function test_withdraw() public {
        (uint256 id,) = _optimisticCommitted(GOOD);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        market.finalize(id);
        vm.prank(alice);
        vm.expectRevert(IComputeMarket.ZeroAddress.selector);
        market.withdraw(address(0));
        vm.expectEmit(address(market));
        emit IComputeMarket.Withdrawn(alice, bob, 2e6 * UNITS);
        vm.prank(alice);
        uint256 amount = market.withdraw(bob);
        assertEq(amount, 2e6 * UNITS);
        assertEq(token.balanceOf(bob), 2e6 * UNITS);
        assertEq(market.creditOf(alice), 0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NothingToWithdraw.selector, alice));
        market.withdraw(alice);
        _assertSolvent();
    }

    function test_receipt_backsVerifiedFeedback() public {
        (uint256 id, uint256 p) = _optimisticCommitted(GOOD);
        bytes32 rid = market.receiptIdFor(id, p);
        assertEq(rid, keccak256(abi.encode(address(market), id, p)));
        assertEq(market.interactionReceipt(rid).settledAt, 0);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        market.finalize(id);
        IInteractionReceipts.InteractionReceipt memory r = market.interactionReceipt(rid);
        assertEq(r.client, poster);
        assertEq(r.agentId, p);
        assertEq(r.asset, address(token));
        assertEq(r.amount, 2e6 * UNITS);
        assertEq(r.settledAt, block.timestamp);

        ReputationRegistry rep = new ReputationRegistry(address(identity), owner);
        vm.prank(owner);
        rep.setReceiptSource(address(market), true);
        vm.prank(poster);
        rep.giveFeedbackWithReceipt(p, 95, 0, "compute", "", "", "", bytes32(0), address(market), rid);
        assertTrue(rep.isReceiptUsed(address(market), rid));
    }

    function test_reputation_formula() public {
        uint256 a = _provider(alice, 5, STAKE);
        uint256 b = _provider(bob, 5, STAKE);
        for (uint256 i; i < 3; ++i) {
            _beat(a);
            _beat(b);
            uint256 j = _postRedundant(1);
            _bid(j, b, 1e6);
            vm.warp(market.getJob(j).deadline);
            market.finalize(j); // b no-show
        }
        assertEq(market.getProvider(b).slashes, 3);
        assertEq(market.reputationOf(b), 0);
        assertEq(market.getProvider(a).completed, 0);
        _beat(b);
        uint256 j2 = _postRedundant(1);
        _bid(j2, b, 1e6);
        _commit(j2, b, GOOD);
        // 100 * 1 / (1 + 9 + 1) = 9
        assertEq(market.reputationOf(b), 9);
    }

    function _requestHash(uint256 jobId, uint256 arbiterIndex, address by, uint256 attempt)
        internal
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(address(market), jobId, arbiterSet[arbiterIndex], by, block.prevrandao, attempt));
    }

    function _beat(uint256 providerId) internal {
        vm.prank(_operator(providerId));
        market.heartbeat(providerId);
    }
}
