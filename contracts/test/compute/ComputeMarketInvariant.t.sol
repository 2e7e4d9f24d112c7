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

    /// @dev Not vacuous: the sequences do reach payments, slashes and challenges (logged with -vv).
    function afterInvariant() public view {
        uint256[8] memory byStatus;
        uint256 n = handler.jobCount();
        for (uint256 i; i < n; ++i) {
            ++byStatus[uint8(market.getJob(handler.jobs(i)).status)];
        }
        uint256 slashes;
        uint256 completed;
        for (uint256 i; i < handler.PROVIDERS(); ++i) {
            slashes += market.getProvider(handler.pids(i)).slashes;
            completed += market.getProvider(handler.pids(i)).completed;
        }
        console2.log("jobs", n, "completed", byStatus[uint8(IComputeMarket.JobStatus.Completed)]);
        console2.log(
            "failed",
            byStatus[uint8(IComputeMarket.JobStatus.Failed)],
            "expired",
            byStatus[uint8(IComputeMarket.JobStatus.Expired)]
        );
        console2.log("paid replicas", completed, "slashes", slashes);
        console2.log("challenges", handler.challengesOpened(), "upheld", handler.challengesUpheld());
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
        invariant_balanceEqualsLiabilities();
        invariant_escrowConsistentAndNoDoublePay();
        invariant_noSlashWithoutLostVerification();
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
