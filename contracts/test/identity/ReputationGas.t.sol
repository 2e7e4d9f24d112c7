// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReputationRegistry} from "../../src/identity/ReputationRegistry.sol";
import {RepTestBase} from "./utils/RepTestBase.sol";

/// @notice Gas of the spec writes, as transactions (21k + calldata + execution, cold state).
/// @dev Meaningful only with `forge test --isolate` (each call its own transaction); without it calls share one
///      transaction, state is warm and figures are lower. Ceilings are 80% of the canonical ERC-8004 v2.0.0
///      contracts behind their ERC-1967 proxy on the same calls (measured with the same harness).
contract ReputationGasTest is RepTestBase {
    string internal constant ENDPOINT = "https://agent.example.com/a2a";
    string internal constant URI = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    bytes32 internal constant HASH = keccak256("feedback file");

    ReputationRegistry internal rep;
    uint256 internal agentId;

    function setUp() public {
        _setUpIdentity();
        rep = new ReputationRegistry(address(identity), address(this));
        agentId = _registerAgent(alice);
    }

    function _gas(string memory label, uint256 ceiling) internal {
        uint256 used = uint256(vm.lastCallGas().gasTotalUsed);
        emit log_named_uint(label, used);
        assertLe(used, ceiling, label);
    }

    function test_gas_reputationWrites() public {
        vm.prank(bob);
        rep.giveFeedback(agentId, 87, 0, "starred", "responseTime", ENDPOINT, URI, HASH);
        _gas("giveFeedback, new client, first of agent, new tags (ref 208551)", 166_840);

        vm.prank(carol);
        rep.giveFeedback(agentId, 87, 0, "starred", "responseTime", ENDPOINT, URI, HASH);
        _gas("giveFeedback, new client (ref 191451)", 153_160);

        vm.prank(bob);
        rep.giveFeedback(agentId, 9977, 2, "starred", "responseTime", ENDPOINT, URI, HASH);
        _gas("giveFeedback, repeat client (ref 126784)", 101_427);

        vm.warp(block.timestamp + 60);
        vm.prank(bob);
        rep.revokeFeedback(agentId, 1);
        _gas("revokeFeedback (ref 36078)", 28_862);

        vm.prank(alice);
        rep.appendResponse(agentId, bob, 1, URI, HASH);
        _gas("appendResponse, new responder (ref 124817)", 99_853);

        vm.prank(alice);
        rep.appendResponse(agentId, bob, 1, URI, HASH);
        _gas("appendResponse, same responder again (ref 42779)", 42_779);
    }
}
