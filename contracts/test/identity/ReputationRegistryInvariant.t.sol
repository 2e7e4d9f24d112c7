// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {StdInvariant} from "forge-std/StdInvariant.sol";

import {ReputationRegistry} from "../../src/identity/ReputationRegistry.sol";
import {RepHandler} from "./utils/RepHandler.sol";
import {RepMockReceiptSource} from "./utils/RepMockReceiptSource.sol";
import {RepTestBase} from "./utils/RepTestBase.sol";

// The invariants recompute every summary from the ghost (18 tag filters over every feedback), which made this suite
// the critical path of `forge test` (58 s of 89 s). They are asserted every 8 calls and at the end of every run; the
// handler's own counters (lastIndex decreases, receipt reuse, self-feedback) still watch every single call.
/// forge-config: default.invariant.check-interval = 8
contract ReputationRegistryInvariantTest is StdInvariant, RepTestBase {
    ReputationRegistry internal rep;
    RepHandler internal handler;
    uint256[2] internal agents;

    function setUp() public {
        _setUpIdentity();
        address owner2 = makeAddr("owner2");
        agents = [_registerAgent(alice), _registerAgent(owner2)];
        rep = new ReputationRegistry(address(identity), address(this));
        RepMockReceiptSource source = new RepMockReceiptSource();
        rep.setReceiptSource(address(source), true);
        handler = new RepHandler(rep, source, agents, [alice, owner2]);

        bytes4[] memory selectors = new bytes4[](5);
        selectors[0] = RepHandler.give.selector;
        selectors[1] = RepHandler.giveWithReceipt.selector;
        selectors[2] = RepHandler.revoke.selector;
        selectors[3] = RepHandler.respond.selector;
        selectors[4] = RepHandler.rateOwnAgent.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev Feedback counts only grow and always equal the number of feedbacks given.
    function invariant_lastIndexOnlyGrowsAndMatchesGhost() public view {
        assertEq(handler.lastIndexDecreases(), 0, "a lastIndex decreased");
        for (uint256 a; a < 2; ++a) {
            for (uint256 c; c < 4; ++c) {
                assertEq(rep.getLastIndex(agents[a], handler.clients(c)), handler.ghostCount(a, c), "lastIndex");
            }
        }
    }

    /// @dev Summaries equal a recomputation over non-revoked feedback only, for every tag filter.
    function invariant_summaryEqualsGhostOverNonRevoked() public view {
        address[] memory clients = handler.allClients();
        for (uint256 a; a < 2; ++a) {
            for (uint8 t1; t1 < 3; ++t1) {
                for (uint8 t2; t2 < 3; ++t2) {
                    (uint64 count, int128 value, uint8 decimals) =
                        rep.getSummary(agents[a], clients, handler.tags(t1), handler.tags(t2));
                    (uint64 eCount, int128 eValue, uint8 eDecimals) = handler.ghostSummary(a, t1, t2);
                    assertEq(count, eCount, "count");
                    assertEq(value, eValue, "value");
                    assertEq(decimals, eDecimals, "decimals");
                }
            }
        }
    }

    /// @dev Revoked feedback never appears in default reads, and every stored feedback matches the ghost.
    function invariant_storedFeedbackMatchesGhost() public view {
        for (uint256 a; a < 2; ++a) {
            (,,,,,, bool[] memory revoked) = rep.readAllFeedback(agents[a], new address[](0), "", "", false);
            for (uint256 i; i < revoked.length; ++i) {
                assertFalse(revoked[i], "revoked feedback listed");
            }
            for (uint256 c; c < 4; ++c) {
                address client = handler.clients(c);
                uint256 n = handler.ghostCount(a, c);
                for (uint256 i; i < n; ++i) {
                    _checkFeedback(a, client, handler.ghostFeedback(a, c, i), uint64(i + 1));
                }
            }
        }
    }

    function _checkFeedback(uint256 a, address client, RepHandler.GhostFeedback memory g, uint64 index) internal view {
        (int128 v, uint8 d, string memory t1, string memory t2, bool r) = rep.readFeedback(agents[a], client, index);
        assertEq(v, g.value);
        assertEq(d, g.decimals);
        assertEq(t1, handler.tags(g.tag1));
        assertEq(t2, handler.tags(g.tag2));
        assertEq(r, g.revoked);
        address[] memory none;
        assertEq(rep.getResponseCount(agents[a], client, index, none), g.responses, "responses");
        (address src, bytes32 rid) = rep.feedbackReceipt(agents[a], client, index);
        assertEq(rid, g.receiptId, "receipt link");
        assertEq(src, g.receiptId == 0 ? address(0) : address(handler.source()), "receipt source");
    }

    /// @dev A receipt backs at most one feedback, and exactly the ones marked used.
    function invariant_receiptNeverBacksTwoFeedbacks() public view {
        assertEq(handler.receiptReuseSuccesses(), 0, "receipt reused");
        uint256 n = handler.receiptCount();
        for (uint256 i; i < n; ++i) {
            bytes32 id = handler.receiptIds(i);
            uint256 backed = handler.feedbacksBackedBy(id);
            assertLe(backed, 1, "receipt backs two feedbacks");
            assertEq(rep.isReceiptUsed(address(handler.source()), id), backed == 1, "used flag");
        }
    }

    /// @dev Owners never manage to rate their own agents.
    function invariant_noSelfFeedback() public view {
        assertEq(handler.selfFeedbackSuccesses(), 0);
        for (uint256 a; a < 2; ++a) {
            assertEq(rep.getLastIndex(agents[a], handler.agentOwners(a)), 0);
        }
    }
}
