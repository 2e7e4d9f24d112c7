// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IComputeMarket} from "../../src/compute/interfaces/IComputeMarket.sol";
import {ComputeTestBase} from "./utils/ComputeTestBase.sol";

/// @notice Properties of ComputeMarket over random prices, replica counts, digests, bids and arbiter answers.
contract ComputeMarketFuzzTest is ComputeTestBase {
    uint256[] internal pids;

    function setUp() public {
        _deployCompute();
        for (uint256 i; i < 5; ++i) {
            pids.push(_provider(address(uint160(0xA000 + i))));
        }
    }

    /// @dev Sum of every provider's stake and every known account's credit: all money that is not escrow or bonds.
    function _held() internal view returns (uint256 sum) {
        for (uint256 i; i < pids.length; ++i) {
            sum += market.getProvider(pids[i]).stake + market.creditOf(_operator(pids[i]));
        }
        sum += market.creditOf(poster) + market.creditOf(treasury);
    }

    /// @dev Everyone agrees: each replica earns its own price, the poster gets back exactly the rest.
    function testFuzz_prices_paidAndRefunded(uint96[5] memory prices, uint8 replicas, uint32 units, uint96 maxPrice)
        public
    {
        replicas = uint8(_bound(replicas, 0, 2) * 2 + 1); // 1, 3 or 5
        units = uint32(_bound(units, 1, 1_000_000));
        maxPrice = uint96(_bound(maxPrice, 1, 1e12));
        IComputeMarket.JobSpec memory s = _spec(replicas, IComputeMarket.Mode.Redundant, 0);
        s.units = units;
        s.maxPricePerUnit = maxPrice;
        _fund(poster, uint256(maxPrice) * units * replicas);
        uint256 id = _post(s);
        uint256 paid;
        for (uint256 i; i < replicas; ++i) {
            uint96 p = uint96(_bound(prices[i], 1, maxPrice));
            _bid(id, pids[i], p);
            paid += uint256(p) * units;
        }
        for (uint256 i; i < replicas; ++i) {
            _commit(id, pids[i], GOOD);
        }
        assertEq(uint8(market.getJob(id).status), uint8(IComputeMarket.JobStatus.Completed));
        for (uint256 i; i < replicas; ++i) {
            assertEq(market.creditOf(_operator(pids[i])), uint256(market.getAssignments(id)[i].pricePerUnit) * units);
        }
        assertEq(market.creditOf(poster), uint256(maxPrice) * units * replicas - paid);
        _assertSolvent();
    }

    /// @dev Random digests: a strict majority of `replicas` wins and only the minority is slashed; otherwise the
    ///      job fails and nobody is slashed. Money is conserved either way.
    function testFuzz_redundant_majority(uint8 replicas, uint256 digestSeed) public {
        replicas = uint8(_bound(replicas, 0, 2) * 2 + 1); // 1, 3 or 5
        uint256 id = _postRedundant(replicas);
        uint256 before = _held() + market.getJob(id).escrow;
        bytes32[] memory digests = new bytes32[](replicas);
        for (uint256 i; i < replicas; ++i) {
            _bid(id, pids[i], 1e6);
            digests[i] = keccak256(abi.encode((digestSeed >> (i * 8)) % 3));
        }
        for (uint256 i; i < replicas; ++i) {
            _commit(id, pids[i], digests[i]);
        }
        bytes32 winner;
        for (uint256 i; i < replicas; ++i) {
            uint256 n;
            for (uint256 k; k < replicas; ++k) {
                if (digests[k] == digests[i]) ++n;
            }
            if (n * 2 > replicas) winner = digests[i];
        }
        IComputeMarket.Job memory j = market.getJob(id);
        assertEq(j.acceptedDigest, winner);
        assertEq(
            uint8(j.status),
            uint8(winner == bytes32(0) ? IComputeMarket.JobStatus.Failed : IComputeMarket.JobStatus.Completed)
        );
        IComputeMarket.Assignment[] memory as_ = market.getAssignments(id);
        for (uint256 i; i < replicas; ++i) {
            bool lost = winner != bytes32(0) && digests[i] != winner;
            assertEq(as_[i].slashed, lost);
            assertEq(as_[i].paid, winner != bytes32(0) && digests[i] == winner);
            assertEq(market.getProvider(pids[i]).slashes, lost ? 1 : 0);
            assertEq(market.getProvider(pids[i]).locked, 0);
        }
        assertEq(_held(), before);
        _assertSolvent();
    }

    /// @dev No-shows at the deadline are slashed; committed results need a strict majority of all replicas.
    function testFuzz_redundant_deadline(uint8 replicas, uint8 commitMask, uint256 digestSeed) public {
        replicas = uint8(_bound(replicas, 0, 2) * 2 + 1); // 1, 3 or 5
        uint256 id = _postRedundant(replicas);
        uint256 before = _held() + market.getJob(id).escrow;
        for (uint256 i; i < replicas; ++i) {
            _bid(id, pids[i], 2e6);
        }
        // leave at least one replica out so the job is not settled by the last commit
        commitMask &= uint8((1 << (replicas - 1)) - 1);
        bytes32[] memory digests = new bytes32[](replicas);
        for (uint256 i; i < replicas; ++i) {
            if (commitMask & (1 << i) == 0) continue;
            digests[i] = keccak256(abi.encode((digestSeed >> (i * 8)) % 2));
            _commit(id, pids[i], digests[i]);
        }
        vm.warp(market.getJob(id).deadline);
        market.finalize(id);
        IComputeMarket.Assignment[] memory as_ = market.getAssignments(id);
        bytes32 winner = market.getJob(id).acceptedDigest;
        for (uint256 i; i < replicas; ++i) {
            bool lost = digests[i] == bytes32(0) || (winner != bytes32(0) && digests[i] != winner);
            assertEq(as_[i].slashed, lost);
        }
        assertEq(_held(), before);
        _assertSolvent();
    }

    /// forge-config: default.fuzz.runs = 64
    /// @dev The book stays sorted by score (ties by arrival), holds at most MAX_BIDS, and keeps the best bids.
    function testFuzz_bookSortedAndBounded(uint96[20] memory prices) public {
        uint256 id = _post(_spec(1, IComputeMarket.Mode.Redundant, 100));
        for (uint256 i; i < 20; ++i) {
            uint256 p = _provider(address(uint160(0xB000 + i)));
            uint96 price = uint96(_bound(prices[i], 1, MAX_PRICE));
            vm.prank(_operator(p));
            try market.bid(id, p, price) {} catch {}
        }
        IComputeMarket.Bid[] memory bids = market.getBids(id);
        assertLe(bids.length, 16);
        assertEq(bids.length, 16);
        for (uint256 i = 1; i < bids.length; ++i) {
            assertLe(
                uint256(bids[i - 1].pricePerUnit) * 200 / (100 + bids[i - 1].reputation),
                uint256(bids[i].pricePerUnit) * 200 / (100 + bids[i].reputation)
            );
            if (bids[i - 1].pricePerUnit == bids[i].pricePerUnit) assertLt(bids[i - 1].providerId, bids[i].providerId);
        }
        vm.warp(block.timestamp + 100);
        market.assign(id);
        assertEq(market.getAssignments(id)[0].providerId, bids[0].providerId);
    }

    /// @dev A challenge is upheld exactly when a quorum (more than half of the arbiters) answered in time and a
    ///      strict majority of those answers says the result is wrong; without a quorum the bond goes back.
    function testFuzz_challenge_votes(uint8 answeredMask, uint8[3] memory responses, bool timeout) public {
        uint256 id = _postOptimistic();
        _bid(id, pids[0], 1e6);
        _commit(id, pids[0], BAD);
        vm.prank(challenger);
        market.challenge(id, GOOD);
        uint256 against;
        uint256 answered;
        for (uint256 i; i < 3; ++i) {
            if (answeredMask & (1 << i) == 0) continue;
            uint8 r = uint8(_bound(responses[i], 0, 100));
            _answer(id, i, r);
            ++answered;
            if (r < 50) ++against;
        }
        if (answered < 3) {
            if (!timeout) {
                vm.expectRevert(
                    abi.encodeWithSelector(IComputeMarket.ChallengeNotResolvable.selector, id, "awaiting answers")
                );
                market.resolveChallenge(id);
            }
            vm.warp(block.timestamp + RESOLUTION_WINDOW + 1);
        }
        market.resolveChallenge(id);
        bool quorum = answered * 2 > 3;
        bool upheld = quorum && against * 2 > answered;
        assertEq(market.getChallenge(id).upheld, upheld);
        uint256 reward = uint256(SLASH) * REWARD_BPS / 10_000;
        assertEq(market.creditOf(challenger), upheld ? BOND + reward : (quorum ? 0 : BOND));
        assertEq(market.getProvider(pids[0]).slashes, upheld ? 1 : 0);
        assertEq(
            uint8(market.getJob(id).status),
            uint8(upheld ? IComputeMarket.JobStatus.Failed : IComputeMarket.JobStatus.Completed)
        );
        _assertSolvent();
    }
}
