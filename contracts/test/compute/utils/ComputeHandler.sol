// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {ComputeMarket} from "../../../src/compute/ComputeMarket.sol";
import {IComputeMarket} from "../../../src/compute/interfaces/IComputeMarket.sol";
import {IdentityRegistry} from "../../../src/identity/IdentityRegistry.sol";
import {ValidationRegistry} from "../../../src/identity/ValidationRegistry.sol";
import {SettlementToken} from "../../../src/pay/SettlementToken.sol";

/// @notice Drives the compute market with honest providers, one cheater, buyers, a validator that challenges
///         wrong optimistic results (and sometimes right ones), and arbiters that answer truthfully. Keeps ghost
///         records for the invariants: escrow posted per job, which digest is correct, who cheated.
contract ComputeHandler is CommonBase, StdCheats, StdUtils {
    ComputeMarket public immutable market;
    SettlementToken public immutable token;
    ValidationRegistry public immutable validation;

    uint256 public constant PROVIDERS = 5;
    uint256 public constant CHEATER = 4; // index of the dishonest provider

    uint256[] public pids;
    address[] public operators;
    address[] public buyers;
    address[] public arbiters;
    address public validator = address(0xC0FFEE);
    address public treasury;

    uint256[] public jobs;
    mapping(uint256 jobId => uint256) public escrowPosted;

    // counters, so a run can show it reached every path
    uint256 public challengesOpened;
    uint256 public challengesUpheld;
    uint256 public withdrawn;
    uint256 public squats;
    uint256 public lateAnswers;

    // ghost accounting (an independent model of who is owed what, from the jobs' final states)
    mapping(address account => uint256) public expectedCredit;
    mapping(address account => uint256) public withdrawnBy;
    mapping(address account => uint256) public minted;
    mapping(address account => uint256) public spent; // escrow posted, bonds, stakes
    mapping(address account => uint256) public stakeOut;
    mapping(uint256 providerId => uint256) public modelSlashes;
    mapping(uint256 jobId => bool) public accounted;
    address public squatter = address(0x5917);
    uint256 public squatterAgent;

    constructor(
        ComputeMarket market_,
        SettlementToken token_,
        IdentityRegistry identity,
        ValidationRegistry validation_,
        address[] memory arbiters_,
        address treasury_
    ) {
        market = market_;
        token = token_;
        validation = validation_;
        arbiters = arbiters_;
        treasury = treasury_;
        for (uint256 i; i < PROVIDERS; ++i) {
            address op = address(uint160(0xE000 + i));
            vm.prank(op);
            uint256 id = identity.register();
            vm.prank(op);
            market.register(
                id,
                IComputeMarket.Resources({
                    deviceKind: "cpu", region: "eu", deviceCount: 3, memoryMB: 8_192, pricePerUnit: 1e6
                })
            );
            _mintApprove(op, 10_000e6);
            vm.prank(op);
            market.stake(id, 2_000e6);
            pids.push(id);
            operators.push(op);
        }
        for (uint256 i; i < 2; ++i) {
            address b = address(uint160(0xB000 + i));
            _mintApprove(b, 1_000_000e6);
            buyers.push(b);
        }
        _mintApprove(validator, 1_000_000e6);
        vm.prank(squatter);
        squatterAgent = identity.register();
        for (uint256 i; i < PROVIDERS; ++i) {
            spent[operators[i]] += 2_000e6;
        }
    }

    modifier synced() {
        _;
        sync();
    }

    function _mintApprove(address to, uint256 amount) internal {
        minted[to] += amount;
        deal(address(token), to, amount);
        vm.prank(to);
        token.approve(address(market), type(uint256).max);
    }

    // ─────────────────────────────────────────────────────────────────────────
    // Ghost helpers
    // ─────────────────────────────────────────────────────────────────────────

    function jobCount() external view returns (uint256) {
        return jobs.length;
    }

    function operatorsLength() external view returns (uint256) {
        return operators.length;
    }

    /// @notice The correct output of a job (what honest providers commit).
    function truth(uint256 jobId) public pure returns (bytes32) {
        return keccak256(abi.encode("truth", jobId));
    }

    function isCheater(uint256 providerId) public view returns (bool) {
        return providerId == pids[CHEATER];
    }

    function _pickJob(uint256 seed) internal view returns (uint256 jobId, bool ok) {
        if (jobs.length == 0) return (0, false);
        return (jobs[seed % jobs.length], true);
    }

    // ─────────────────────────────────────────────────────────────────────────
    // Actions
    // ─────────────────────────────────────────────────────────────────────────

    function postJob(uint256 seed, uint8 replicas, bool optimistic, bool auction, uint96 maxPrice) external synced {
        _postJob(seed, replicas, optimistic, auction, seed % 7 == 0, maxPrice);
    }

    /// @notice A whole round at once so runs reach settlements often: live providers, a first-come job, bids from
    ///         providers in a random order until the slots are filled, then every assigned provider commits.
    function quickJob(uint256 seed, uint8 replicas, bool optimistic, uint96 maxPrice) external synced {
        this.heartbeatAll();
        uint256 id = _postJob(seed, replicas, optimistic, false, false, maxPrice);
        uint96 max = market.getJob(id).maxPricePerUnit;
        for (uint256 k; k < PROVIDERS; ++k) {
            uint256 i = (seed % PROVIDERS + k) % PROVIDERS;
            vm.prank(operators[i]);
            try market.bid(id, pids[i], uint96(_bound(seed >> (k * 8), 1, max))) {} catch {}
        }
        this.commit(jobs.length - 1, seed >> 64);
    }

    function _postJob(uint256 seed, uint8 replicas, bool optimistic, bool auction, bool direct, uint96 maxPrice)
        internal
        returns (uint256 id)
    {
        replicas = optimistic || direct ? 1 : uint8(_bound(replicas, 0, 1) * 2 + 1);
        IComputeMarket.JobSpec memory s;
        s.workloadDigest = keccak256(abi.encode("w", seed));
        s.inputDigest = keccak256(abi.encode("i", seed));
        s.needs = IComputeMarket.Needs({deviceKind: "cpu", minMemoryMB: 1_024, region: bytes32(0)});
        s.maxPricePerUnit = uint96(_bound(maxPrice, 1, 10e6));
        s.units = uint32(_bound(seed, 1, 100));
        s.deadline = uint40(block.timestamp + 600);
        s.bidWindow = auction ? 60 : 0;
        s.replicas = replicas;
        s.mode = optimistic ? IComputeMarket.Mode.Optimistic : IComputeMarket.Mode.Redundant;
        s.direct = direct;
        address b = buyers[seed % buyers.length];
        vm.prank(b);
        id = market.postJob(s);
        jobs.push(id);
        escrowPosted[id] = uint256(s.maxPricePerUnit) * s.units * replicas;
        spent[b] += escrowPosted[id];
    }

    function bid(uint256 jobSeed, uint256 providerSeed, uint96 price) external synced {
        (uint256 jobId, bool ok) = _pickJob(jobSeed);
        if (!ok) return;
        uint256 i = providerSeed % PROVIDERS;
        price = uint96(_bound(price, 1, market.getJob(jobId).maxPricePerUnit));
        vm.prank(operators[i]);
        try market.bid(jobId, pids[i], price) {} catch {}
    }

    function offerAndAccept(uint256 jobSeed, uint256 providerSeed, uint96 price) external synced {
        (uint256 jobId, bool ok) = _pickJob(jobSeed);
        if (!ok) return;
        IComputeMarket.Job memory j = market.getJob(jobId);
        uint256 i = providerSeed % PROVIDERS;
        price = uint96(_bound(price, 1, j.maxPricePerUnit));
        vm.prank(j.poster);
        try market.offer(jobId, pids[i], price) {} catch {}
        vm.prank(operators[i]);
        try market.accept(jobId, pids[i]) {} catch {}
    }

    function assign(uint256 jobSeed) external synced {
        (uint256 jobId, bool ok) = _pickJob(jobSeed);
        if (!ok) return;
        try market.assign(jobId) {} catch {}
    }

    /// @notice Every assigned provider of the job that has not committed does so: honest ones the truth, the
    ///         cheater a wrong digest (or nothing, a no-show, one time in four).
    function commit(uint256 jobSeed, uint256 cheatSeed) external synced {
        (uint256 jobId, bool ok) = _pickJob(jobSeed);
        if (!ok) return;
        IComputeMarket.Assignment[] memory as_ = market.getAssignments(jobId);
        for (uint256 k; k < as_.length; ++k) {
            if (as_[k].outputDigest != bytes32(0)) continue;
            uint256 pid = as_[k].providerId;
            bytes32 d = truth(jobId);
            if (isCheater(pid)) {
                if (cheatSeed % 4 == 0) continue;
                d = keccak256(abi.encode("lie", jobId, cheatSeed));
            }
            vm.prank(market.getProvider(pid).operator);
            try market.commitResult(jobId, pid, d, "data:out") {} catch {}
        }
    }

    /// @notice The validator re-executes optimistic results in their window and challenges the first wrong one
    ///         it finds; when `frivolous` is set it disputes a right one instead (a challenge that must fail).
    function challenge(uint256 jobSeed, bool frivolous) external synced {
        uint256 n = jobs.length;
        for (uint256 k; k < n; ++k) {
            uint256 jobId = jobs[(jobSeed % n + k) % n];
            IComputeMarket.Job memory j = market.getJob(jobId);
            if (j.status != IComputeMarket.JobStatus.Assigned || j.mode != IComputeMarket.Mode.Optimistic) continue;
            if (j.challengeEndsAt == 0 || block.timestamp >= j.challengeEndsAt) continue;
            bytes32 committed = market.getAssignments(jobId)[0].outputDigest;
            bytes32 claim = truth(jobId);
            if ((committed == claim) != frivolous) continue;
            if (frivolous) claim = keccak256(abi.encode("frivolous", jobId));
            vm.prank(validator);
            market.challenge(jobId, claim);
            spent[validator] += market.config().challengeBond;
            ++challengesOpened;
            return;
        }
    }

    /// @notice Arbiter `arbiterSeed` answers, truthfully, the first open dispute it has not answered yet.
    function answer(uint256 jobSeed, uint256 arbiterSeed) external synced {
        uint256 n = jobs.length;
        address arbiter = arbiters[arbiterSeed % arbiters.length];
        for (uint256 k; k < n; ++k) {
            uint256 jobId = jobs[(jobSeed % n + k) % n];
            if (market.getJob(jobId).status != IComputeMarket.JobStatus.Challenged) continue;
            bytes32 h = market.getChallenge(jobId).requestHashes[arbiterSeed % arbiters.length];
            if (validation.hasResponse(h)) continue;
            bool right = market.getAssignments(jobId)[0].outputDigest == truth(jobId);
            vm.prank(arbiter);
            validation.validationResponse(h, right ? 100 : 0, "", bytes32(0), "compute");
            return;
        }
    }

    /// @notice Anyone settles the first dispute that can be settled.
    function resolve(uint256 jobSeed) external synced {
        uint256 n = jobs.length;
        for (uint256 k; k < n; ++k) {
            uint256 jobId = jobs[(jobSeed % n + k) % n];
            if (market.getJob(jobId).status != IComputeMarket.JobStatus.Challenged) continue;
            try market.resolveChallenge(jobId) {
                if (market.getChallenge(jobId).upheld) ++challengesUpheld;
                return;
            } catch {}
        }
    }

    /// @notice A keeper settles the first job that is due.
    function finalize(uint256 jobSeed) external synced {
        uint256 n = jobs.length;
        for (uint256 k; k < n; ++k) {
            try market.finalize(jobs[(jobSeed % n + k) % n]) {
                return;
            } catch {}
        }
    }

    function cancel(uint256 jobSeed) external synced {
        (uint256 jobId, bool ok) = _pickJob(jobSeed);
        if (!ok) return;
        vm.prank(market.getJob(jobId).poster);
        try market.cancel(jobId) {} catch {}
    }

    function heartbeatAll() external {
        for (uint256 i; i < PROVIDERS; ++i) {
            vm.prank(operators[i]);
            market.heartbeat(pids[i]);
        }
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + _bound(secs, 1, 240));
    }

    function withdraw(uint256 seed) external synced {
        address a;
        uint256 r = seed % 4;
        if (r == 0) a = operators[seed % PROVIDERS];
        else if (r == 1) a = buyers[seed % buyers.length];
        else if (r == 2) a = validator;
        else a = treasury;
        if (market.creditOf(a) == 0) return;
        vm.prank(a);
        uint256 amount = market.withdraw(a);
        withdrawn += amount;
        withdrawnBy[a] += amount;
    }

    function topUp(uint256 providerSeed, uint96 amount) external synced {
        uint256 i = providerSeed % PROVIDERS;
        amount = uint96(_bound(amount, 1, 500e6));
        if (token.balanceOf(operators[i]) < amount) return;
        vm.prank(operators[i]);
        market.stake(pids[i], amount);
        spent[operators[i]] += amount;
    }

    // ─────────────────────────────────────────────────────────────────────────
    // Adversaries
    // ─────────────────────────────────────────────────────────────────────────

    /// @notice Squats validation request hashes of a job: the old predictable one and the first salted ones the
    ///         validator's challenge would use in this block.
    function squat(uint256 jobSeed, uint256 arbiterSeed, uint8 attempts) external synced {
        if (jobs.length == 0) return;
        uint256 jobId = jobs[jobSeed % jobs.length];
        address arbiter = arbiters[arbiterSeed % arbiters.length];
        vm.startPrank(squatter);
        try validation.validationRequest(
            squatter, squatterAgent, "", keccak256(abi.encode(address(market), jobId, arbiter))
        ) {} catch {}
        for (uint256 a; a < _bound(attempts, 0, 3); ++a) {
            bytes32 h = keccak256(abi.encode(address(market), jobId, arbiter, validator, block.prevrandao, a));
            try validation.validationRequest(arbiter, squatterAgent, "", h) {
                ++squats;
            } catch {}
        }
        vm.stopPrank();
    }

    /// @notice Waits until shortly before a job's deadline, then tries to assign it.
    function lateAssign(uint256 jobSeed, uint256 secs) external synced {
        (uint256 jobId, bool ok) = _pickJob(jobSeed);
        if (!ok) return;
        uint256 at = uint256(market.getJob(jobId).deadline) - _bound(secs, 0, 60);
        if (at > block.timestamp) vm.warp(at);
        this.heartbeatAll();
        try market.assign(jobId) {} catch {}
    }

    /// @notice A corrupted arbiter answers "wrong" after `resolveBy` (must not count).
    function lateAnswer(uint256 jobSeed, uint256 arbiterSeed) external synced {
        uint256 n = jobs.length;
        for (uint256 k; k < n; ++k) {
            uint256 jobId = jobs[(jobSeed % n + k) % n];
            if (market.getJob(jobId).status != IComputeMarket.JobStatus.Challenged) continue;
            IComputeMarket.Challenge memory c = market.getChallenge(jobId);
            if (block.timestamp <= c.resolveBy) continue;
            uint256 i = arbiterSeed % arbiters.length;
            vm.prank(arbiters[i]);
            validation.validationResponse(c.requestHashes[i], 0, "", bytes32(0), "compute");
            ++lateAnswers;
            return;
        }
    }

    // ─────────────────────────────────────────────────────────────────────────
    // Model
    // ─────────────────────────────────────────────────────────────────────────

    /// @notice Books what every newly terminal job owes whom, from its final state (not from the market's credits).
    function sync() public {
        uint256 n = jobs.length;
        for (uint256 i; i < n; ++i) {
            uint256 id = jobs[i];
            if (accounted[id]) continue;
            IComputeMarket.Job memory j = market.getJob(id);
            if (
                j.status == IComputeMarket.JobStatus.Open || j.status == IComputeMarket.JobStatus.Assigned
                    || j.status == IComputeMarket.JobStatus.Challenged
            ) continue;
            accounted[id] = true;
            _book(id, j);
        }
    }

    function _book(uint256 id, IComputeMarket.Job memory j) internal {
        IComputeMarket.Config memory cfg = market.config();
        IComputeMarket.Assignment[] memory as_ = market.getAssignments(id);
        uint256 paid;
        uint256 winners;
        for (uint256 k; k < as_.length; ++k) {
            if (!as_[k].paid) continue;
            uint256 amount = uint256(as_[k].pricePerUnit) * j.units;
            paid += amount;
            ++winners;
            expectedCredit[market.getProvider(as_[k].providerId).operator] += amount;
        }
        expectedCredit[j.poster] += escrowPosted[id] - paid;
        uint256 reward = uint256(cfg.slashAmount) * cfg.rewardShareBps / 10_000;
        IComputeMarket.Challenge memory c = market.getChallenge(id);
        for (uint256 k; k < as_.length; ++k) {
            if (!as_[k].slashed) continue;
            ++modelSlashes[as_[k].providerId];
            if (as_[k].outputDigest == bytes32(0)) {
                expectedCredit[treasury] += cfg.slashAmount;
            } else if (j.mode == IComputeMarket.Mode.Optimistic) {
                expectedCredit[c.challenger] += reward;
                expectedCredit[treasury] += cfg.slashAmount - reward;
            } else {
                uint256 each = reward / winners;
                for (uint256 m; m < as_.length; ++m) {
                    if (as_[m].paid) expectedCredit[market.getProvider(as_[m].providerId).operator] += each;
                }
                expectedCredit[treasury] += cfg.slashAmount - each * winners;
            }
        }
        if (c.challenger == address(0)) return;
        if (c.upheld) {
            expectedCredit[c.challenger] += cfg.challengeBond;
            return;
        }
        uint256 answered;
        for (uint256 k; k < c.requestHashes.length; ++k) {
            if (!validation.hasResponse(c.requestHashes[k])) continue;
            (,,,,, uint256 lastUpdate) = validation.getValidationStatus(c.requestHashes[k]);
            if (lastUpdate <= c.resolveBy) ++answered;
        }
        address to = answered * 2 > c.requestHashes.length
            ? market.getProvider(as_[0].providerId).operator
            : c.challenger;
        expectedCredit[to] += cfg.challengeBond;
    }

    /// @notice Settles every job (past every deadline, window and resolveBy), then withdraws every credit and,
    ///         after the cooldown, every stake.
    function drain() external {
        vm.warp(block.timestamp + 10_000);
        uint256 n = jobs.length;
        for (uint256 i; i < n; ++i) {
            uint256 id = jobs[i];
            IComputeMarket.JobStatus st = market.getJob(id).status;
            if (st == IComputeMarket.JobStatus.Challenged) market.resolveChallenge(id);
            else if (st == IComputeMarket.JobStatus.Open || st == IComputeMarket.JobStatus.Assigned) market.finalize(id);
        }
        sync();
        address[] memory accounts = accountList();
        for (uint256 i; i < accounts.length; ++i) {
            address a = accounts[i];
            uint256 credit = market.creditOf(a);
            if (credit == 0) continue;
            vm.prank(a);
            withdrawnBy[a] += market.withdraw(a);
        }
        for (uint256 i; i < PROVIDERS; ++i) {
            IComputeMarket.Provider memory p = market.getProvider(pids[i]);
            if (p.unstakeAt == 0) {
                vm.prank(operators[i]);
                market.requestUnstake(pids[i]);
            }
        }
        vm.warp(block.timestamp + market.config().unstakeCooldown + 1);
        for (uint256 i; i < PROVIDERS; ++i) {
            uint256 st = market.getProvider(pids[i]).stake;
            if (st == 0) continue;
            vm.prank(operators[i]);
            market.withdrawStake(pids[i], operators[i]);
            stakeOut[operators[i]] += st;
        }
    }

    /// @notice Every account the market may owe: operators, buyers, the validator, the treasury.
    function accountList() public view returns (address[] memory out) {
        out = new address[](PROVIDERS + buyers.length + 2);
        for (uint256 i; i < PROVIDERS; ++i) {
            out[i] = operators[i];
        }
        for (uint256 i; i < buyers.length; ++i) {
            out[PROVIDERS + i] = buyers[i];
        }
        out[out.length - 2] = validator;
        out[out.length - 1] = treasury;
    }
}
