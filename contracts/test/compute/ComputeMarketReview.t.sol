// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ComputeMarket} from "../../src/compute/ComputeMarket.sol";
import {IComputeMarket} from "../../src/compute/interfaces/IComputeMarket.sol";
import {ComputeTestBase} from "./utils/ComputeTestBase.sol";

/// @notice Regression tests for the findings of the issue-6 contract review (each failed before its fix).
contract ComputeMarketReviewTest is ComputeTestBase {
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal mallory = makeAddr("mallory");

    function setUp() public {
        _deployCompute();
    }

    function _hash(uint256 jobId, uint256 arbiter, address by, uint256 attempt) internal view returns (bytes32) {
        return keccak256(abi.encode(address(market), jobId, arbiterSet[arbiter], by, block.prevrandao, attempt));
    }

    function _optimisticCommitted(address op, bytes32 digest) internal returns (uint256 id, uint256 p) {
        p = _provider(op);
        id = _postOptimistic();
        _bid(id, p, 1e6);
        _commit(id, p, digest);
    }

    // C1 ────────────────────────────────────────────────────────────────────────

    /// @dev The old predictable hash and even this block's first salted hash squatted: the challenge still opens
    ///      (re-salted), and the cheater is slashed.
    function test_C1_squattedRequestHashesDoNotBlockChallenge() public {
        vm.prevrandao(bytes32(uint256(7)));
        uint256 nextId = market.jobCount() + 1;
        vm.startPrank(mallory);
        uint256 mAgent = identity.register();
        validation.validationRequest(mallory, mAgent, "x", keccak256(abi.encode(address(market), nextId, arbiterSet[0])));
        validation.validationRequest(arbiterSet[1], mAgent, "x", _hash(nextId, 1, challenger, 0));
        validation.validationRequest(arbiterSet[1], mAgent, "x", _hash(nextId, 1, challenger, 1));
        vm.stopPrank();
        (uint256 id, uint256 cheat) = _optimisticCommitted(alice, BAD);
        assertEq(id, nextId);
        vm.prank(challenger);
        market.challenge(id, GOOD);
        bytes32[] memory hashes = market.getChallenge(id).requestHashes;
        assertEq(hashes[0], _hash(id, 0, challenger, 0));
        assertEq(hashes[1], _hash(id, 1, challenger, 2));
        (address v, uint256 agent,,,,) = validation.getValidationStatus(hashes[1]);
        assertEq(v, arbiterSet[1]);
        assertEq(agent, market.marketAgentId());
        _answer(id, 0, 0);
        _answer(id, 1, 0);
        _answer(id, 2, 0);
        market.resolveChallenge(id);
        assertTrue(market.getChallenge(id).upheld);
        assertEq(market.getProvider(cheat).slashes, 1);
        assertEq(market.creditOf(alice), 0);
        _assertSolvent();
    }

    /// @dev Every attempt squatted (only possible within the same block): a clear error, and a later block works.
    function test_C1_allAttemptsSquattedRevertsClearly() public {
        (uint256 id,) = _optimisticCommitted(alice, BAD);
        vm.startPrank(mallory);
        uint256 mAgent = identity.register();
        for (uint256 a; a < 8; ++a) {
            validation.validationRequest(mallory, mAgent, "", _hash(id, 2, challenger, a));
        }
        vm.stopPrank();
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.ValidationRequestBlocked.selector, id, arbiterSet[2]));
        market.challenge(id, GOOD);
        vm.roll(block.number + 1);
        vm.prevrandao(bytes32(uint256(99)));
        vm.prank(challenger);
        market.challenge(id, GOOD);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Challenged));
    }

    // H1 ────────────────────────────────────────────────────────────────────────

    /// @dev Partly filled: no result can leak (commit refused), and at the deadline the waiting provider is neither
    ///      slashed nor made to work for free; the poster gets its escrow back and nothing more.
    function test_H1_partialFillNeitherFreeComputeNorSlash() public {
        uint256 a = _provider(alice);
        uint256 id = _postRedundant(3);
        _bid(id, a, MAX_PRICE);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Open));
        market.commitResult(id, a, GOOD, "data:out");
        vm.warp(market.getJob(id).deadline);
        market.finalize(id);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Expired));
        assertEq(market.getProvider(a).slashes, 0);
        assertEq(market.getProvider(a).locked, 0);
        assertEq(market.creditOf(poster), uint256(MAX_PRICE) * UNITS * 3);
        _assertSolvent();
    }

    // H2, M5 ────────────────────────────────────────────────────────────────────

    function test_H2_M5_replicaRules() public {
        IComputeMarket.JobSpec memory s = _spec(3, IComputeMarket.Mode.Redundant, 0);
        s.direct = true;
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InvalidJobSpec.selector, "replicas"));
        market.postJob(s);
        for (uint8 r = 1; r <= 5; ++r) {
            s = _spec(r, IComputeMarket.Mode.Redundant, 0);
            vm.prank(poster);
            if (r % 2 == 0) vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InvalidJobSpec.selector, "replicas"));
            market.postJob(s);
        }
        s = _spec(1, IComputeMarket.Mode.Optimistic, 0);
        s.direct = true;
        _post(s);
    }

    // M1 ────────────────────────────────────────────────────────────────────────

    function test_M1_lateAssignAndAcceptRefused() public {
        uint256 a = _provider(alice);
        IComputeMarket.JobSpec memory s = _spec(1, IComputeMarket.Mode.Redundant, 60);
        uint256 id = _post(s);
        _bid(id, a, 1e6);
        vm.warp(s.deadline - 1);
        vm.prank(alice);
        market.heartbeat(a);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NoTimeToRun.selector, id, s.deadline));
        market.assign(id);
        vm.warp(s.deadline);
        market.finalize(id);
        assertEq(market.getProvider(a).slashes, 0);
        assertEq(market.creditOf(poster), uint256(MAX_PRICE) * UNITS);

        IComputeMarket.JobSpec memory d = _spec(1, IComputeMarket.Mode.Optimistic, 0);
        d.direct = true;
        uint256 id2 = _post(d);
        vm.prank(poster);
        market.offer(id2, a, 1e6);
        vm.warp(d.deadline - market.MIN_RUN_TIME() + 1);
        vm.prank(alice);
        market.heartbeat(a);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NoTimeToRun.selector, id2, d.deadline));
        market.accept(id2, a);
        vm.warp(d.deadline - market.MIN_RUN_TIME());
        vm.prank(alice);
        market.accept(id2, a);
    }

    // M2 ────────────────────────────────────────────────────────────────────────

    function test_M2_offerCannotBeLowered() public {
        uint256 a = _provider(alice);
        IComputeMarket.JobSpec memory s = _spec(1, IComputeMarket.Mode.Redundant, 0);
        s.direct = true;
        uint256 id = _post(s);
        vm.startPrank(poster);
        market.offer(id, a, 3e6);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.OfferLowered.selector, id, a, 3e6));
        market.offer(id, a, 1);
        market.offer(id, a, 3e6);
        market.offer(id, a, MAX_PRICE);
        vm.stopPrank();
        vm.prank(alice);
        market.accept(id, a);
        assertEq(market.getAssignments(id)[0].pricePerUnit, MAX_PRICE);
    }

    // M3 ────────────────────────────────────────────────────────────────────────

    /// @dev 16 Sybil bids that turn ineligible cannot kill the job: assign closes the auction and the honest
    ///      provider's later bid is assigned at once.
    function test_M3_bookGriefingCannotKillJob() public {
        IComputeMarket.JobSpec memory s = _spec(1, IComputeMarket.Mode.Redundant, 60);
        uint256 id = _post(s);
        uint256 h = _provider(alice);
        _bid(id, h, 1e6);
        for (uint256 i; i < 16; ++i) {
            uint256 syb = _provider(address(uint160(0xBAD000 + i)));
            _bid(id, syb, 1);
            vm.prank(address(uint160(0xBAD000 + i)));
            market.updateResources(syb, _resources(GPU, 4, 8_192));
        }
        vm.warp(block.timestamp + 60);
        vm.expectEmit(address(market));
        emit IComputeMarket.AuctionClosed(id, 0, 1);
        market.assign(id);
        vm.prank(alice);
        market.bid(id, h, 1e6); // evicted earlier: may bid again, assigned at once
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Assigned));
        _commit(id, h, GOOD);
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Completed));
        _assertSolvent();
    }

    // M4 ────────────────────────────────────────────────────────────────────────

    /// @dev An answer after `resolveBy` is not counted; alone it is no quorum: bond back, provider paid.
    function test_M4_lateAnswerNotCounted() public {
        (uint256 id, uint256 a) = _optimisticCommitted(alice, GOOD);
        vm.prank(challenger);
        market.challenge(id, BAD);
        uint40 by = market.getChallenge(id).resolveBy;
        vm.warp(uint256(by) + 100);
        _answer(id, 0, 0);
        _answer(id, 1, 0);
        market.resolveChallenge(id);
        assertFalse(market.getChallenge(id).upheld);
        assertEq(market.getProvider(a).slashes, 0);
        assertEq(market.creditOf(challenger), BOND);
        assertEq(market.creditOf(alice), 1e6 * UNITS);
        _assertSolvent();
    }

    /// @dev An in-time answer changed after `resolveBy` no longer counts either.
    function test_M4_answerChangedLateIsDropped() public {
        (uint256 id, uint256 a) = _optimisticCommitted(alice, GOOD);
        vm.prank(challenger);
        market.challenge(id, BAD);
        _answer(id, 0, 100);
        _answer(id, 1, 0);
        uint40 by = market.getChallenge(id).resolveBy;
        vm.warp(uint256(by) + 1);
        _answer(id, 0, 0); // late change: dropped, leaving 1 of 3 → no quorum
        market.resolveChallenge(id);
        assertFalse(market.getChallenge(id).upheld);
        assertEq(market.getProvider(a).slashes, 0);
    }

    /// @dev With a quorum the verdict is a strict majority of the counted answers.
    function test_M4_quorumMajorityUpholds() public {
        (uint256 id, uint256 a) = _optimisticCommitted(alice, BAD);
        vm.prank(challenger);
        market.challenge(id, GOOD);
        _answer(id, 0, 0);
        _answer(id, 2, 10);
        vm.warp(market.getChallenge(id).resolveBy + 1);
        market.resolveChallenge(id);
        assertTrue(market.getChallenge(id).upheld);
        assertEq(market.getProvider(a).slashes, 1);
    }

    // L1 ────────────────────────────────────────────────────────────────────────

    function test_L1_zeroBondRejected() public {
        IComputeMarket.Config memory c = _config();
        c.challengeBond = 0;
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.InvalidConfig.selector, "challengeBond"));
        new ComputeMarket(address(identity), address(validation), address(token), c, treasury, owner, "");
    }

    // acceptResult ──────────────────────────────────────────────────────────────

    function test_acceptResult_paysAtOnce() public {
        (uint256 id, uint256 a) = _optimisticCommitted(alice, GOOD);
        bytes32 receiptId = market.receiptIdFor(id, a);
        vm.expectEmit(address(market));
        emit IComputeMarket.ResultAccepted(id, poster);
        vm.expectEmit(address(market));
        emit IComputeMarket.ProviderPaid(id, a, 1e6 * UNITS, receiptId);
        vm.expectEmit(address(market));
        emit IComputeMarket.JobFinalized(
            id, IComputeMarket.JobStatus.Completed, GOOD, uint256(MAX_PRICE - 1e6) * UNITS
        );
        vm.prank(poster);
        market.acceptResult(id);
        assertEq(market.getJob(id).acceptedDigest, GOOD);
        assertEq(market.creditOf(alice), 1e6 * UNITS);
        assertEq(market.getProvider(a).completed, 1);
        assertEq(market.getProvider(a).locked, 0);
        assertEq(market.interactionReceipt(receiptId).amount, 1e6 * UNITS);
        vm.prank(challenger);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Completed)
        );
        market.challenge(id, BAD);
        _assertSolvent();
    }

    function test_acceptResult_reverts() public {
        uint256 a = _provider(alice);
        uint256 id = _postOptimistic();
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Open));
        market.acceptResult(id);
        _bid(id, a, 1e6);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NoResultToAccept.selector, id));
        market.acceptResult(id);
        _commit(id, a, GOOD);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NotPoster.selector, id, bob));
        market.acceptResult(id);
        vm.prank(challenger);
        market.challenge(id, BAD);
        vm.prank(poster);
        vm.expectRevert(
            abi.encodeWithSelector(IComputeMarket.WrongStatus.selector, id, IComputeMarket.JobStatus.Challenged)
        );
        market.acceptResult(id);
        // redundant jobs settle by majority, not by the poster
        uint256 b = _provider(bob);
        uint256 id2 = _postRedundant(1);
        _bid(id2, b, 1e6);
        vm.prank(poster);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.NoResultToAccept.selector, id2));
        market.acceptResult(id2);
        vm.expectRevert(abi.encodeWithSelector(IComputeMarket.UnknownJob.selector, 99));
        market.acceptResult(99);
    }
}
