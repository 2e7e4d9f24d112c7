// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {StdInvariant} from "forge-std/StdInvariant.sol";

import {ValidationRegistry} from "../../src/identity/ValidationRegistry.sol";
import {RepTestBase} from "./utils/RepTestBase.sol";
import {ValHandler} from "./utils/ValHandler.sol";

// The invariants recompute every request's status and summary from the ghost, which made this suite the second
// longest of `forge test` (32 s). They are asserted every 8 calls and at the end of every run.
/// forge-config: default.invariant.check-interval = 8
contract ValidationRegistryInvariantTest is StdInvariant, RepTestBase {
    ValidationRegistry internal val;
    ValHandler internal handler;
    uint256[2] internal agents;

    function setUp() public {
        _setUpIdentity();
        address owner2 = makeAddr("owner2");
        agents = [_registerAgent(alice), _registerAgent(owner2)];
        val = new ValidationRegistry(address(identity));
        handler = new ValHandler(val, agents, [alice, owner2]);
        bytes4[] memory selectors = new bytes4[](2);
        selectors[0] = ValHandler.request.selector;
        selectors[1] = ValHandler.answer.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev Only the named validator ever answers, only with 0..100, and only owners/operators open requests.
    function invariant_onlyNamedValidatorAnswersInRange() public view {
        assertEq(handler.unauthorizedAnswers(), 0, "answer by someone else");
        assertEq(handler.outOfRangeAnswers(), 0, "answer above 100");
        assertEq(handler.unauthorizedRequests(), 0, "request by a stranger");
    }

    /// @dev Every stored status is the latest accepted answer, within 0..100.
    function invariant_statusMatchesGhost() public view {
        uint256 n = handler.requestCount();
        for (uint256 i; i < n; ++i) {
            bytes32 h = handler.requestHashes(i);
            ValHandler.GhostRequest memory g = handler.ghost(h);
            (address v, uint256 a, uint8 r,, string memory tag,) = val.getValidationStatus(h);
            assertEq(v, g.validator);
            assertEq(a, g.agentId);
            assertLe(r, 100);
            assertEq(r, g.answered ? g.response : 0);
            assertEq(tag, handler.tags(g.tag));
            assertEq(val.hasResponse(h), g.answered);
        }
    }

    /// @dev Summaries equal a recomputation over answered requests, for validator and tag filters.
    function invariant_summaryMatchesGhost() public view {
        for (uint256 a; a < 2; ++a) {
            for (uint8 t; t < 4; ++t) {
                for (uint256 vi; vi < 4; ++vi) {
                    address filter = vi == 3 ? address(0) : handler.validators(vi);
                    address[] memory list = new address[](filter == address(0) ? 0 : 1);
                    if (filter != address(0)) list[0] = filter;
                    (uint64 count, uint8 avg) = val.getSummary(agents[a], list, handler.tags(t));
                    (uint64 eCount, uint256 eSum) = handler.ghostSummary(a, filter, t);
                    assertEq(count, eCount, "count");
                    assertEq(avg, eCount == 0 ? 0 : eSum / eCount, "average");
                }
            }
        }
    }
}
