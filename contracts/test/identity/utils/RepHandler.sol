// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {ReputationRegistry} from "../../../src/identity/ReputationRegistry.sol";
import {RepMockReceiptSource} from "./RepMockReceiptSource.sol";

/// @notice Invariant handler for the reputation registry: random clients give, revoke and answer feedback
///         (free-form and receipt-backed) to two agents, while ghost state records what should be stored.
contract RepHandler is Test {
    struct GhostFeedback {
        int128 value;
        uint8 decimals;
        uint8 tag1;
        uint8 tag2;
        bool revoked;
        bytes32 receiptId;
        uint64 responses;
    }

    ReputationRegistry public immutable rep;
    RepMockReceiptSource public immutable source;

    uint256[2] public agents;
    address[2] public agentOwners;
    address[4] public clients;
    string[3] public tags = ["", "a", "b"];

    mapping(uint256 agentIdx => mapping(uint256 clientIdx => GhostFeedback[])) internal _ghost;
    mapping(uint256 agentIdx => mapping(uint256 clientIdx => uint64)) public lastSeenIndex;

    bytes32[] public receiptIds;
    mapping(bytes32 receiptId => uint256) public feedbacksBackedBy;

    uint256 public lastIndexDecreases;
    uint256 public selfFeedbackSuccesses;
    uint256 public receiptReuseSuccesses;
    uint256 public calls;

    constructor(
        ReputationRegistry rep_,
        RepMockReceiptSource source_,
        uint256[2] memory agents_,
        address[2] memory owners_
    ) {
        rep = rep_;
        source = source_;
        agents = agents_;
        agentOwners = owners_;
        for (uint256 i; i < 4; ++i) {
            clients[i] = makeAddr(string.concat("client", vm.toString(i)));
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // actions
    // ─────────────────────────────────────────────────────────────────────────────

    function give(uint256 agentSeed, uint256 clientSeed, int128 value, uint8 decimals, uint256 tagSeed) external {
        (uint256 a, uint256 c) = (agentSeed % 2, clientSeed % 4);
        value = _value(value, tagSeed);
        decimals = uint8(bound(decimals, 0, 20)); // 19 and 20 revert
        (uint8 t1, uint8 t2) = (uint8(tagSeed % 3), uint8((tagSeed / 3) % 3));
        vm.prank(clients[c]);
        try rep.giveFeedback(agents[a], value, decimals, tags[t1], tags[t2], "e", "u", 0) {
            _ghost[a][c].push(GhostFeedback(value, decimals, t1, t2, false, 0, 0));
        } catch {}
        _afterAction();
    }

    function giveWithReceipt(
        uint256 agentSeed,
        uint256 clientSeed,
        int128 value,
        uint8 decimals,
        uint256 tagSeed,
        uint256 receiptSeed
    ) external {
        (uint256 a, uint256 c) = (agentSeed % 2, clientSeed % 4);
        value = _value(value, tagSeed);
        decimals = uint8(bound(decimals, 0, 18));
        (uint8 t1, uint8 t2) = (uint8(tagSeed % 3), uint8((tagSeed / 3) % 3));

        bytes32 receiptId;
        bool reuse = receiptIds.length != 0 && receiptSeed % 3 == 0;
        if (reuse) {
            receiptId = receiptIds[(receiptSeed / 3) % receiptIds.length];
        } else {
            receiptId = keccak256(abi.encode("receipt", receiptIds.length));
            receiptIds.push(receiptId);
            // Mostly for this client and agent; sometimes for someone else (must then revert).
            address receiptClient = receiptSeed % 5 == 1 ? clients[(c + 1) % 4] : clients[c];
            uint256 receiptAgent = receiptSeed % 7 == 1 ? agents[(a + 1) % 2] : agents[a];
            source.setReceipt(receiptId, receiptClient, receiptAgent, uint64(block.timestamp));
        }

        vm.prank(clients[c]);
        try rep.giveFeedbackWithReceipt(
            agents[a], value, decimals, tags[t1], tags[t2], "e", "u", 0, address(source), receiptId
        ) {
            _ghost[a][c].push(GhostFeedback(value, decimals, t1, t2, false, receiptId, 0));
            if (feedbacksBackedBy[receiptId] != 0) ++receiptReuseSuccesses;
            ++feedbacksBackedBy[receiptId];
        } catch {}
        _afterAction();
    }

    function revoke(uint256 agentSeed, uint256 clientSeed, uint256 indexSeed) external {
        (uint256 a, uint256 c) = (agentSeed % 2, clientSeed % 4);
        uint64 index = uint64(indexSeed % (_ghost[a][c].length + 2)); // 0 and len+1 revert
        vm.prank(clients[c]);
        try rep.revokeFeedback(agents[a], index) {
            _ghost[a][c][index - 1].revoked = true;
        } catch {}
        _afterAction();
    }

    function respond(uint256 agentSeed, uint256 clientSeed, uint256 indexSeed, uint256 responderSeed) external {
        (uint256 a, uint256 c) = (agentSeed % 2, clientSeed % 4);
        uint64 index = uint64(indexSeed % (_ghost[a][c].length + 2));
        address responder = responderSeed % 2 == 0 ? agentOwners[a] : clients[responderSeed % 4];
        vm.prank(responder);
        try rep.appendResponse(agents[a], clients[c], index, "ipfs://r", 0) {
            ++_ghost[a][c][index - 1].responses;
        } catch {}
        _afterAction();
    }

    /// @dev The agent's owner tries to rate its own agent: must always fail.
    function rateOwnAgent(uint256 agentSeed, int128 value) external {
        uint256 a = agentSeed % 2;
        vm.prank(agentOwners[a]);
        try rep.giveFeedback(agents[a], _value(value, 0), 0, "", "", "", "", 0) {
            ++selfFeedbackSuccesses;
        } catch {}
        _afterAction();
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // ghost views
    // ─────────────────────────────────────────────────────────────────────────────

    function ghostCount(uint256 a, uint256 c) external view returns (uint256) {
        return _ghost[a][c].length;
    }

    function ghostFeedback(uint256 a, uint256 c, uint256 i) external view returns (GhostFeedback memory) {
        return _ghost[a][c][i];
    }

    function receiptCount() external view returns (uint256) {
        return receiptIds.length;
    }

    function allClients() external view returns (address[] memory list) {
        list = new address[](4);
        for (uint256 i; i < 4; ++i) {
            list[i] = clients[i];
        }
    }

    /// @dev Summary recomputed from ghost state over non-revoked feedback, filtering like the spec.
    function ghostSummary(uint256 a, uint8 tag1Filter, uint8 tag2Filter)
        external
        view
        returns (uint64 count, int128 value, uint8 decimals)
    {
        int256 sum;
        uint64[19] memory hist;
        for (uint256 c; c < 4; ++c) {
            GhostFeedback[] storage list = _ghost[a][c];
            for (uint256 i; i < list.length; ++i) {
                GhostFeedback storage g = list[i];
                if (g.revoked) continue;
                if (tag1Filter != 0 && g.tag1 != tag1Filter) continue;
                if (tag2Filter != 0 && g.tag2 != tag2Filter) continue;
                sum += int256(g.value) * int256(10 ** (18 - uint256(g.decimals)));
                ++hist[g.decimals];
                ++count;
            }
        }
        if (count == 0) return (0, 0, 0);
        for (uint8 d; d < 19; ++d) {
            if (hist[d] > hist[decimals]) decimals = d;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        value = int128((sum / int256(uint256(count))) / int256(10 ** (18 - uint256(decimals))));
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // internals
    // ─────────────────────────────────────────────────────────────────────────────

    /// @dev Mostly 0..100 ratings, sometimes anything up to the bounds (and a little beyond, which reverts).
    function _value(int128 raw, uint256 seed) internal pure returns (int128) {
        if (seed % 4 == 0) return int128(bound(raw, -1e38 - 10, 1e38 + 10));
        return int128(bound(raw, -100, 100));
    }

    function _afterAction() internal {
        ++calls;
        for (uint256 a; a < 2; ++a) {
            for (uint256 c; c < 4; ++c) {
                uint64 current = rep.getLastIndex(agents[a], clients[c]);
                if (current < lastSeenIndex[a][c]) ++lastIndexDecreases;
                lastSeenIndex[a][c] = current;
            }
        }
    }
}
