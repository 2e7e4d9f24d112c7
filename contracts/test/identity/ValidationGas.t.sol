// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ValidationRegistry} from "../../src/identity/ValidationRegistry.sol";
import {RepTestBase} from "./utils/RepTestBase.sol";

/// @notice Gas of the spec writes, as transactions (21k + calldata + execution, cold state).
/// @dev Meaningful only with `forge test --isolate`; see ReputationGas.t.sol. Ceilings are 80% of the canonical
///      contracts on the same calls, except the first answer carrying a never-seen tag and a non-zero hash,
///      which must store both as new slots in any layout (ceiling: the canonical figure).
contract ValidationGasTest is RepTestBase {
    string internal constant URI = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    bytes32 internal constant HASH = keccak256("response file");

    ValidationRegistry internal val;
    uint256 internal agentId;
    address internal validator;

    function setUp() public {
        _setUpIdentity();
        val = new ValidationRegistry(address(identity));
        agentId = _registerAgent(alice);
        validator = dave;
    }

    function _gas(string memory label, uint256 ceiling) internal {
        uint256 used = uint256(vm.lastCallGas().gasTotalUsed);
        emit log_named_uint(label, used);
        assertLe(used, ceiling, label);
    }

    function test_gas_validationWrites() public {
        vm.prank(alice);
        val.validationRequest(validator, agentId, URI, "request 1");
        _gas("validationRequest, first of agent and validator (ref 200589)", 160_471);

        vm.prank(alice);
        val.validationRequest(validator, agentId, URI, "request 2");
        _gas("validationRequest, next (ref 166365)", 133_092);

        vm.prank(validator);
        val.validationResponse("request 1", 92, URI, HASH, "zkml");
        _gas("validationResponse, first answer, never-seen tag (ref 88715)", 88_715);

        vm.warp(block.timestamp + 3600);
        vm.prank(validator);
        val.validationResponse("request 1", 95, URI, HASH, "zkml");
        _gas("validationResponse, updated answer (ref 51715)", 41_372);

        vm.prank(validator);
        val.validationResponse("request 2", 40, URI, HASH, "zkml");
        _gas("validationResponse, first answer, known tag (ref 88715)", 70_972);
    }
}
