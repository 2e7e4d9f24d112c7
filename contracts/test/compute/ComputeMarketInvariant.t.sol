// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";

import {IComputeMarket} from "../../src/compute/interfaces/IComputeMarket.sol";
import {ComputeTestBase} from "./utils/ComputeTestBase.sol";
import {ComputeHandler} from "./utils/ComputeHandler.sol";

/// forge-config: default.invariant.runs = 64
/// forge-config: default.invariant.depth = 48
/// forge-config: default.invariant.fail-on-revert = true
/// @notice Conservation and fairness of the compute market under random sequences of posts, bids, offers,
///         commits (one provider cheats), challenges, truthful arbiter answers, settlements and withdrawals.
contract ComputeMarketInvariantTest is ComputeTestBase {
    ComputeHandler internal handler;

    function setUp() public {
        _deployCompute();
        handler = new ComputeHandler(market, token, identity, validation, arbiterSet, treasury);
        targetContract(address(handler));
    }

    /// @dev After every run: settle every job (past all deadlines, windows and resolveBy), withdraw every credit
    ///      and stake. Every job ends terminal, the market ends empty, every account got exactly what the model
    ///      says it is owed, and every actor's token balance is accounted for. Logs show the run was not vacuous.
    function afterInvariant() public {
        handler.drain();
        uint256[8] memory byStatus;
        uint256 n = handler.jobCount();
        for (uint256 i; i < n; ++i) {
            IComputeMarket.JobStatus st = market.getJob(handler.jobs(i)).status;
            ++byStatus[uint8(st)];
            assertTrue(uint8(st) >= uint8(IComputeMarket.JobStatus.Completed), "job left live");
        }
        assertEq(token.balanceOf(address(market)), 0, "market not empty");
        assertEq(market.totalLiabilities(), 0);
        address[] memory accounts = handler.accountList();
        for (uint256 i; i < accounts.length; ++i) {
            address a = accounts[i];
            assertEq(market.creditOf(a), 0);
            assertEq(handler.withdrawnBy(a), handler.expectedCredit(a), "credit != model");
            assertEq(
                token.balanceOf(a) + handler.spent(a),
                handler.minted(a) + handler.withdrawnBy(a) + handler.stakeOut(a),
                "balance unaccounted"
            );
        }
        for (uint256 i; i < handler.PROVIDERS(); ++i) {
            uint256 pid = handler.pids(i);
            address op = handler.operators(i);
            assertEq(handler.stakeOut(op), handler.spent(op) - uint256(SLASH) * handler.modelSlashes(pid));
        }
        console2.log("jobs", n, "completed", byStatus[uint8(IComputeMarket.JobStatus.Completed)]);
        console2.log(
            "failed",
            byStatus[uint8(IComputeMarket.JobStatus.Failed)],
            "expired",
            byStatus[uint8(IComputeMarket.JobStatus.Expired)]
        );
        console2.log("challenges", handler.challengesOpened(), "upheld", handler.challengesUpheld());
        console2.log("squats", handler.squats(), "late answers", handler.lateAnswers());
    }

    /// @dev Every account's credit plus what it withdrew equals what the model says it is owed (catches a double
    ///      pay that conservation alone would not: the extra credit would come out of someone else's share).
    function invariant_creditsMatchModel() public view {
        address[] memory accounts = handler.accountList();
        for (uint256 i; i < accounts.length; ++i) {
            address a = accounts[i];
            assertEq(market.creditOf(a) + handler.withdrawnBy(a), handler.expectedCredit(a), "credit != model");
        }
    }

    /// @dev The handler reaches every outcome the invariants speak about: a scripted sequence through it gets
    ///      paid replicas, slashes of all three kinds, upheld and rejected challenges, and the laws still hold.
    function test_handlerReachesEveryOutcome() public {
        for (uint256 i; i < 40; ++i) {
            uint256 seed = uint256(keccak256(abi.encode(i)));
            handler.quickJob(seed, uint8(i % 3 + 1), i % 2 == 0, 5e6);
            handler.challenge(seed, false);
            handler.challenge(seed, i % 4 == 0);
            for (uint256 a; a < 3; ++a) {
                handler.answer(seed, a);
            }
            handler.resolve(seed);
            if (i % 5 == 4) {
                handler.warp(700);
                for (uint256 k; k < 10; ++k) {
                    handler.finalize(k);
                }
            }
        }
        uint256 slashes;
        uint256 completed;
        for (uint256 i; i < handler.PROVIDERS(); ++i) {
            slashes += market.getProvider(handler.pids(i)).slashes;
            completed += market.getProvider(handler.pids(i)).completed;
        }
        assertGt(completed, 20);
        assertGt(slashes, 3);
        assertGt(handler.challengesOpened(), handler.challengesUpheld());
        assertGt(handler.challengesUpheld(), 0);
        invariant_creditsMatchModel();
        invariant_balanceEqualsLiabilities();
        invariant_escrowConsistentAndNoDoublePay();
        invariant_noSlashWithoutLostVerification();
        afterInvariant();
    }

    /// @dev Tokens held == open escrow + stakes + credits + bonds, and each term matches the ledgers.
    function invariant_balanceEqualsLiabilities() public view {
        uint256 escrow;
        uint256 bonds;
        uint256 n = handler.jobCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.jobs(i);
            IComputeMarket.Job memory j = market.getJob(id);
            escrow += j.escrow;
            if (j.status == IComputeMarket.JobStatus.Challenged) bonds += BOND;
        }
        uint256 stakes;
        uint256 credits;
        for (uint256 i; i < handler.PROVIDERS(); ++i) {
            stakes += market.getProvider(handler.pids(i)).stake;
            credits += market.creditOf(handler.operators(i));
        }
        credits += market.creditOf(handler.buyers(0)) + market.creditOf(handler.buyers(1));
        credits += market.creditOf(handler.validator()) + market.creditOf(treasury);
        assertEq(token.balanceOf(address(market)), market.totalLiabilities());
        assertEq(market.totalLiabilities(), escrow + stakes + credits + bonds);
    }

    /// @dev No job pays more than its escrow; terminal jobs hold no escrow, live ones hold all of it (nothing is
    ///      paid before settlement); a paid replica is never also slashed.
    function invariant_escrowConsistentAndNoDoublePay() public view {
        uint256 n = handler.jobCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.jobs(i);
            IComputeMarket.Job memory j = market.getJob(id);
            IComputeMarket.Assignment[] memory as_ = market.getAssignments(id);
            uint256 paid;
            for (uint256 k; k < as_.length; ++k) {
                if (as_[k].paid) paid += uint256(as_[k].pricePerUnit) * j.units;
                assertFalse(as_[k].paid && as_[k].slashed);
            }
            assertLe(paid, handler.escrowPosted(id));
            bool live = j.status == IComputeMarket.JobStatus.Open || j.status == IComputeMarket.JobStatus.Assigned
                || j.status == IComputeMarket.JobStatus.Challenged;
            if (live) {
                assertEq(paid, 0);
                assertEq(j.escrow, handler.escrowPosted(id));
            } else {
                assertEq(j.escrow, 0);
            }
            if (j.status == IComputeMarket.JobStatus.Completed) assertTrue(paid > 0);
        }
    }

    /// @dev Every slash follows a lost verification: a no-show, a result outvoted by a strict majority, or an
    ///      upheld challenge. Honest providers (truthful results, truthful arbiters) are never slashed for a result.
    ///      Stake locks match running slots.
    function invariant_noSlashWithoutLostVerification() public view {
        uint256 n = handler.jobCount();
        uint256[] memory slashes = new uint256[](handler.PROVIDERS());
        uint256[] memory running = new uint256[](handler.PROVIDERS());
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.jobs(i);
            IComputeMarket.Job memory j = market.getJob(id);
            IComputeMarket.Assignment[] memory as_ = market.getAssignments(id);
            bool live = j.status == IComputeMarket.JobStatus.Open || j.status == IComputeMarket.JobStatus.Assigned
                || j.status == IComputeMarket.JobStatus.Challenged;
            for (uint256 k; k < as_.length; ++k) {
                uint256 idx = _index(as_[k].providerId);
                if (live) ++running[idx];
                if (!as_[k].slashed) continue;
                ++slashes[idx];
                bytes32 d = as_[k].outputDigest;
                bool noShow = d == bytes32(0);
                // a no-show is only possible once every slot was filled (commits need status Assigned)
                if (noShow) assertEq(j.assigned, j.replicas, "no-show slash on a partly filled job");
                bool outvoted = j.acceptedDigest != bytes32(0) && d != j.acceptedDigest;
                bool upheld = j.mode == IComputeMarket.Mode.Optimistic && market.getChallenge(id).upheld;
                assertTrue(noShow || outvoted || upheld, "slash without a lost verification");
                if (!noShow) assertTrue(handler.isCheater(as_[k].providerId), "honest result slashed");
            }
        }
        for (uint256 i; i < handler.PROVIDERS(); ++i) {
            IComputeMarket.Provider memory p = market.getProvider(handler.pids(i));
            assertEq(p.slashes, slashes[i]);
            assertEq(p.activeJobs, running[i]);
            assertEq(p.locked, uint256(SLASH) * running[i]);
            assertLe(p.locked, p.stake);
        }
    }

    function _index(uint256 providerId) internal view returns (uint256) {
        for (uint256 i; i < handler.PROVIDERS(); ++i) {
            if (handler.pids(i) == providerId) return i;
        }
        revert("unknown provider");
    }
}
