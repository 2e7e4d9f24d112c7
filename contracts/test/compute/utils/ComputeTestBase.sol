// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {ComputeMarket} from "../../../src/compute/ComputeMarket.sol";
import {IComputeMarket} from "../../../src/compute/interfaces/IComputeMarket.sol";
import {IdentityRegistry} from "../../../src/identity/IdentityRegistry.sol";
import {ValidationRegistry} from "../../../src/identity/ValidationRegistry.sol";
import {SettlementToken} from "../../../src/pay/SettlementToken.sol";

/// @notice Deploys the compute market on the real identity and validation registries and the settlement token,
///         with helpers for providers, jobs and arbiter answers.
abstract contract ComputeTestBase is Test {
    SettlementToken internal token;
    IdentityRegistry internal identity;
    ValidationRegistry internal validation;
    ComputeMarket internal market;

    address internal owner = makeAddr("owner");
    address internal treasury = makeAddr("treasury");
    address internal poster = makeAddr("poster");
    address internal challenger = makeAddr("challenger");
    address[] internal arbiterSet;

    uint96 internal constant MIN_STAKE = 100e6;
    uint96 internal constant SLASH = 50e6;
    uint96 internal constant BOND = 10e6;
    uint32 internal constant COOLDOWN = 1 days;
    uint32 internal constant TTL = 300;
    uint32 internal constant CHALLENGE_WINDOW = 60;
    uint32 internal constant RESOLUTION_WINDOW = 600;
    uint16 internal constant REWARD_BPS = 5_000;
    uint96 internal constant STAKE = 1_000e6;
    uint96 internal constant MAX_PRICE = 5e6;
    uint32 internal constant UNITS = 4;

    bytes32 internal constant CPU = "cpu";
    bytes32 internal constant GPU = "gpu";
    bytes32 internal constant EU = "eu-west";
    bytes32 internal constant GOOD = keccak256("good output");
    bytes32 internal constant BAD = keccak256("bad output");

    function _config() internal pure returns (IComputeMarket.Config memory) {
        return IComputeMarket.Config({
            minStake: MIN_STAKE,
            slashAmount: SLASH,
            challengeBond: BOND,
            unstakeCooldown: COOLDOWN,
            heartbeatTTL: TTL,
            challengeWindow: CHALLENGE_WINDOW,
            resolutionWindow: RESOLUTION_WINDOW,
            rewardShareBps: REWARD_BPS
        });
    }

    function _deployCompute() internal {
        vm.warp(1_760_000_000);
        token = new SettlementToken(address(this), false);
        identity = new IdentityRegistry();
        validation = new ValidationRegistry(address(identity));
        market = new ComputeMarket(
            address(identity), address(validation), address(token), _config(), treasury, owner, "data:market"
        );
        arbiterSet.push(makeAddr("arbiter0"));
        arbiterSet.push(makeAddr("arbiter1"));
        arbiterSet.push(makeAddr("arbiter2"));
        vm.prank(owner);
        market.setArbiters(arbiterSet);
        _fund(poster, 1_000_000e6);
        _fund(challenger, 1_000e6);
    }

    function _fund(address to, uint256 amount) internal {
        token.mint(to, amount);
        vm.prank(to);
        token.approve(address(market), type(uint256).max);
    }

    function _resources(bytes32 kind, uint32 devices, uint32 memoryMB)
        internal
        pure
        returns (IComputeMarket.Resources memory)
    {
        return IComputeMarket.Resources({
            deviceKind: kind, region: EU, deviceCount: devices, memoryMB: memoryMB, pricePerUnit: 1e6
        });
    }

    /// @dev A registered, staked, live CPU provider operated by `operator` (its agent's owner).
    function _provider(address operator) internal returns (uint256 id) {
        return _provider(operator, 4, STAKE);
    }

    function _provider(address operator, uint32 devices, uint96 stakeAmount) internal returns (uint256 id) {
        vm.prank(operator);
        id = identity.register();
        vm.prank(operator);
        market.register(id, _resources(CPU, devices, 8_192));
        if (stakeAmount != 0) {
            _fund(operator, stakeAmount);
            vm.prank(operator);
            market.stake(id, stakeAmount);
        }
    }

    function _operator(uint256 providerId) internal view returns (address) {
        return market.getProvider(providerId).operator;
    }

    function _spec(uint8 replicas, IComputeMarket.Mode mode, uint32 bidWindow)
        internal
        view
        returns (IComputeMarket.JobSpec memory s)
    {
        s.workloadDigest = keccak256("workload");
        s.inputDigest = keccak256("input");
        s.workloadURI = "data:workload";
        s.inputURI = "data:input";
        s.needs = IComputeMarket.Needs({deviceKind: CPU, minMemoryMB: 1_024, region: bytes32(0)});
        s.maxPricePerUnit = MAX_PRICE;
        s.units = UNITS;
        s.deadline = uint40(block.timestamp + 1_000);
        s.bidWindow = bidWindow;
        s.replicas = replicas;
        s.mode = mode;
    }

    function _post(IComputeMarket.JobSpec memory s) internal returns (uint256 jobId) {
        vm.prank(poster);
        jobId = market.postJob(s);
    }

    function _postRedundant(uint8 replicas) internal returns (uint256) {
        return _post(_spec(replicas, IComputeMarket.Mode.Redundant, 0));
    }

    function _postOptimistic() internal returns (uint256) {
        return _post(_spec(1, IComputeMarket.Mode.Optimistic, 0));
    }

    function _bid(uint256 jobId, uint256 providerId, uint96 price) internal {
        vm.prank(_operator(providerId));
        market.bid(jobId, providerId, price);
    }

    function _commit(uint256 jobId, uint256 providerId, bytes32 digest) internal {
        vm.prank(_operator(providerId));
        market.commitResult(jobId, providerId, digest, "data:out");
    }

    function _answer(uint256 jobId, uint256 arbiterIndex, uint8 response) internal {
        address arbiter = arbiterSet[arbiterIndex];
        bytes32 h = market.getChallenge(jobId).requestHashes[arbiterIndex];
        vm.prank(arbiter);
        validation.validationResponse(h, response, "", bytes32(0), "compute");
    }

    function _assertSolvent() internal view {
        assertEq(token.balanceOf(address(market)), market.totalLiabilities(), "balance == liabilities");
    }
}
