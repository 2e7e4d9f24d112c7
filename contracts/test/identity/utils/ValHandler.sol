// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {ValidationRegistry} from "../../../src/identity/ValidationRegistry.sol";

/// @notice Invariant handler for the validation registry: owners open requests to random validators and
///         random addresses try to answer them with random responses and tags.
contract ValHandler is Test {
    struct GhostRequest {
        address validator;
        uint256 agentId;
        bool answered;
        uint8 response;
        uint8 tag;
    }

    ValidationRegistry public immutable val;
    uint256[2] public agents;
    address[2] public agentOwners;
    address[3] public validators;
    string[4] public tags = ["", "zkml", "tee", "tag42"];

    bytes32[] public requestHashes;
    mapping(bytes32 => GhostRequest) internal _ghost;

    uint256 public unauthorizedAnswers;
    uint256 public outOfRangeAnswers;
    uint256 public unauthorizedRequests;

    constructor(ValidationRegistry val_, uint256[2] memory agents_, address[2] memory owners_) {
        val = val_;
        agents = agents_;
        agentOwners = owners_;
        validators = [makeAddr("v0"), makeAddr("v1"), makeAddr("v2")];
    }

    function request(uint256 agentSeed, uint256 validatorSeed, bool asStranger) external {
        uint256 a = agentSeed % 2;
        bytes32 h = keccak256(abi.encode("request", requestHashes.length, agentSeed));
        address v = validators[validatorSeed % 3];
        vm.prank(asStranger ? validators[validatorSeed % 3] : agentOwners[a]);
        try val.validationRequest(v, agents[a], "ipfs://req", h) {
            if (asStranger) ++unauthorizedRequests;
            requestHashes.push(h);
            _ghost[h] = GhostRequest(v, agents[a], false, 0, 0);
        } catch {}
    }

    function answer(uint256 requestSeed, uint256 callerSeed, uint8 response, uint256 tagSeed, bytes32 responseHash)
        external
    {
        if (requestHashes.length == 0) return;
        bytes32 h = requestHashes[requestSeed % requestHashes.length];
        GhostRequest storage g = _ghost[h];
        // Mostly the right validator, sometimes another one or the agent owner.
        address caller =
            callerSeed % 4 == 0 ? (callerSeed % 8 == 0 ? agentOwners[0] : validators[callerSeed % 3]) : g.validator;
        if (callerSeed % 3 == 0) response = uint8(bound(response, 0, 100)); // mostly in range
        uint8 t = uint8(tagSeed % 4);
        vm.prank(caller);
        try val.validationResponse(h, response, "ipfs://resp", responseHash, tags[t]) {
            if (caller != g.validator) ++unauthorizedAnswers;
            if (response > 100) ++outOfRangeAnswers;
            (g.answered, g.response, g.tag) = (true, response, t);
        } catch {}
    }

    function requestCount() external view returns (uint256) {
        return requestHashes.length;
    }

    function ghost(bytes32 h) external view returns (GhostRequest memory) {
        return _ghost[h];
    }

    /// @dev Count and response sum over answered requests of agent `a`, optionally for one validator and tag.
    function ghostSummary(uint256 a, address validatorFilter, uint8 tagFilter)
        external
        view
        returns (uint64 count, uint256 sum)
    {
        for (uint256 i; i < requestHashes.length; ++i) {
            GhostRequest storage g = _ghost[requestHashes[i]];
            if (g.agentId != agents[a] || !g.answered) continue;
            if (validatorFilter != address(0) && g.validator != validatorFilter) continue;
            if (tagFilter != 0 && g.tag != tagFilter) continue;
            sum += g.response;
            ++count;
        }
    }
}
