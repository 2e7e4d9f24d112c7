// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {ReputationRegistry} from "../../src/identity/ReputationRegistry.sol";
import {IReputationRegistry} from "../../src/identity/interfaces/IReputationRegistry.sol";
import {RepMockReceiptSource} from "./utils/RepMockReceiptSource.sol";
import {RepTestBase} from "./utils/RepTestBase.sol";

contract ReputationRegistryTest is RepTestBase {
    event NewFeedback(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        int128 value,
        uint8 valueDecimals,
        string indexed indexedTag1,
        string tag1,
        string tag2,
        string endpoint,
        string feedbackURI,
        bytes32 feedbackHash
    );
    event FeedbackRevoked(uint256 indexed agentId, address indexed clientAddress, uint64 indexed feedbackIndex);
    event ResponseAppended(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        address indexed responder,
        string responseURI,
        bytes32 responseHash
    );
    event VerifiedFeedback(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        address indexed receiptSource,
        bytes32 receiptId
    );
    event ReceiptSourceSet(address indexed source, bool allowed);

    int128 internal constant MAX_ABS = 1e38;
    string internal constant ENDPOINT = "https://agent.example.com/a2a";
    string internal constant URI = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    bytes32 internal constant HASH = keccak256("feedback file");

    ReputationRegistry internal rep;
    RepMockReceiptSource internal source;
    address internal owner = makeAddr("owner");
    uint256 internal agentId;

    function setUp() public {
        _setUpIdentity();
        rep = new ReputationRegistry(address(identity), owner);
        source = new RepMockReceiptSource();
        vm.prank(owner);
        rep.setReceiptSource(address(source), true);
        agentId = _registerAgent(alice);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // helpers
    // ─────────────────────────────────────────────────────────────────────────────

    function _give(address client, int128 value, uint8 decimals, string memory tag1, string memory tag2)
        internal
        returns (uint64 index)
    {
        vm.prank(client);
        rep.giveFeedback(agentId, value, decimals, tag1, tag2, ENDPOINT, URI, HASH);
        return rep.getLastIndex(agentId, client);
    }

    function _one(address a) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }

    function _two(address a, address b) internal pure returns (address[] memory list) {
        list = new address[](2);
        list[0] = a;
        list[1] = b;
    }

    function _assertFeedback(
        address client,
        uint64 index,
        int128 value,
        uint8 decimals,
        string memory tag1,
        string memory tag2,
        bool revoked
    ) internal view {
        (int128 v, uint8 d, string memory t1, string memory t2, bool r) = rep.readFeedback(agentId, client, index);
        assertEq(v, value, "value");
        assertEq(d, decimals, "decimals");
        assertEq(t1, tag1, "tag1");
        assertEq(t2, tag2, "tag2");
        assertEq(r, revoked, "revoked");
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // constructor, ownership, views
    // ─────────────────────────────────────────────────────────────────────────────

    function test_constructor_setsIdentityAndOwner() public view {
        assertEq(rep.getIdentityRegistry(), address(identity));
        assertEq(rep.owner(), owner);
        assertEq(rep.getVersion(), "2.0.0");
        assertEq(rep.MAX_VALUE_DECIMALS(), 18);
        assertEq(rep.MAX_ABS_VALUE(), MAX_ABS);
    }

    function test_constructor_revertsOnZeroIdentity() public {
        vm.expectRevert(IReputationRegistry.ZeroAddress.selector);
        new ReputationRegistry(address(0), owner);
    }

    function test_constructor_revertsOnZeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new ReputationRegistry(address(identity), address(0));
    }

    function test_ownership_isTwoStep() public {
        vm.prank(owner);
        rep.transferOwnership(bob);
        assertEq(rep.owner(), owner);
        assertEq(rep.pendingOwner(), bob);
        vm.prank(bob);
        rep.acceptOwnership();
        assertEq(rep.owner(), bob);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // giveFeedback
    // ─────────────────────────────────────────────────────────────────────────────

    function test_giveFeedback_storesAndEmits() public {
        vm.expectEmit(address(rep));
        emit NewFeedback(agentId, bob, 1, 87, 0, "starred", "starred", "quality", ENDPOINT, URI, HASH);
        vm.prank(bob);
        rep.giveFeedback(agentId, 87, 0, "starred", "quality", ENDPOINT, URI, HASH);

        assertEq(rep.getLastIndex(agentId, bob), 1);
        _assertFeedback(bob, 1, 87, 0, "starred", "quality", false);
        address[] memory clients = rep.getClients(agentId);
        assertEq(clients.length, 1);
        assertEq(clients[0], bob);
        (address src, bytes32 rid) = rep.feedbackReceipt(agentId, bob, 1);
        assertEq(src, address(0));
        assertEq(rid, bytes32(0));
    }

    function test_giveFeedback_sameClientAppendsIndexes() public {
        _give(bob, 80, 0, "a", "b");
        _give(bob, -5, 1, "c", "");
        uint64 third = _give(bob, 9977, 2, "", "d");
        assertEq(third, 3);
        _assertFeedback(bob, 1, 80, 0, "a", "b", false);
        _assertFeedback(bob, 2, -5, 1, "c", "", false);
        _assertFeedback(bob, 3, 9977, 2, "", "d", false);
        assertEq(rep.getClients(agentId).length, 1, "client listed once");
    }

    function test_giveFeedback_multipleClientsInFirstFeedbackOrder() public {
        _give(carol, 1, 0, "", "");
        _give(bob, 2, 0, "", "");
        _give(carol, 3, 0, "", "");
        _give(dave, 4, 0, "", "");
        address[] memory clients = rep.getClients(agentId);
        assertEq(clients.length, 3);
        assertEq(clients[0], carol);
        assertEq(clients[1], bob);
        assertEq(clients[2], dave);
        assertEq(rep.getLastIndex(agentId, carol), 2);
        assertEq(rep.getLastIndex(agentId, dave), 1);
    }

    function test_giveFeedback_boundaryValuesAndDecimals() public {
        _give(bob, MAX_ABS, 18, "", "");
        _give(bob, -MAX_ABS, 0, "", "");
        _give(bob, 0, 0, "", "");
        _assertFeedback(bob, 1, MAX_ABS, 18, "", "", false);
        _assertFeedback(bob, 2, -MAX_ABS, 0, "", "", false);
        _assertFeedback(bob, 3, 0, 0, "", "", false);
    }

    function test_giveFeedback_tagShapes() public {
        string memory long1 = "a-tag-that-is-definitely-longer-than-thirty-two-bytes";
        string memory long2 = "another-long-tag-to-push-the-pair-over-two-slots-of-data";
        _give(bob, 1, 0, "", "");
        _give(bob, 2, 0, "only-tag1", "");
        _give(bob, 3, 0, "", "only-tag2");
        _give(bob, 4, 0, long1, long2);
        _give(bob, 5, 0, "ab", "c");
        _give(bob, 6, 0, "a", "bc"); // same concatenation, different split
        _assertFeedback(bob, 1, 1, 0, "", "", false);
        _assertFeedback(bob, 2, 2, 0, "only-tag1", "", false);
        _assertFeedback(bob, 3, 3, 0, "", "only-tag2", false);
        _assertFeedback(bob, 4, 4, 0, long1, long2, false);
        _assertFeedback(bob, 5, 5, 0, "ab", "c", false);
        _assertFeedback(bob, 6, 6, 0, "a", "bc", false);
    }

    function test_giveFeedback_reusedTagPairIsShared() public {
        _give(bob, 1, 0, "starred", "day");
        _give(carol, 2, 0, "starred", "day");
        _give(dave, 3, 0, "starred", "day");
        _assertFeedback(bob, 1, 1, 0, "starred", "day", false);
        _assertFeedback(carol, 1, 2, 0, "starred", "day", false);
        _assertFeedback(dave, 1, 3, 0, "starred", "day", false);
    }

    /// @dev "pair95" and "pair6840" pick the same 24-bit table slot: the second one is stored inline.
    function test_giveFeedback_tagTableCollisionFallsBackInline() public {
        _give(bob, 1, 0, "pair95", "");
        _give(carol, 2, 0, "pair6840", "");
        _give(dave, 3, 0, "pair95", "");
        _give(bob, 4, 0, "pair6840", "");
        _assertFeedback(bob, 1, 1, 0, "pair95", "", false);
        _assertFeedback(carol, 1, 2, 0, "pair6840", "", false);
        _assertFeedback(dave, 1, 3, 0, "pair95", "", false);
        _assertFeedback(bob, 2, 4, 0, "pair6840", "", false);

        (uint64 count, int128 value,) = rep.getSummary(agentId, _two(bob, carol), "pair6840", "");
        assertEq(count, 2);
        assertEq(value, 3);
    }

    function test_giveFeedback_revertsOnTooManyDecimals() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.ValueDecimalsTooLarge.selector, 19));
        rep.giveFeedback(agentId, 1, 19, "", "", "", "", 0);
    }

    function test_giveFeedback_revertsOnValueAboveMax() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.ValueOutOfRange.selector, MAX_ABS + 1));
        rep.giveFeedback(agentId, MAX_ABS + 1, 0, "", "", "", "", 0);
    }

    function test_giveFeedback_revertsOnValueBelowMin() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.ValueOutOfRange.selector, -MAX_ABS - 1));
        rep.giveFeedback(agentId, -MAX_ABS - 1, 0, "", "", "", "", 0);
    }

    function test_giveFeedback_revertsForUnknownAgent() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.AgentNotFound.selector, 999));
        rep.giveFeedback(999, 1, 0, "", "", "", "", 0);
    }

    function test_giveFeedback_revertsForOwner() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.SelfFeedbackNotAllowed.selector, agentId, alice));
        rep.giveFeedback(agentId, 1, 0, "", "", "", "", 0);
    }

    function test_giveFeedback_revertsForOperator() public {
        vm.prank(alice);
        identity.setApprovalForAll(operator, true);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.SelfFeedbackNotAllowed.selector, agentId, operator));
        rep.giveFeedback(agentId, 1, 0, "", "", "", "", 0);
    }

    function test_giveFeedback_revertsForApprovedAddress() public {
        vm.prank(alice);
        identity.approve(operator, agentId);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.SelfFeedbackNotAllowed.selector, agentId, operator));
        rep.giveFeedback(agentId, 1, 0, "", "", "", "", 0);
    }

    function test_giveFeedback_formerOwnerMayRateAfterTransfer() public {
        vm.prank(alice);
        identity.transferFrom(alice, bob, agentId);
        _give(alice, 50, 0, "", "");
        assertEq(rep.getLastIndex(agentId, alice), 1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.SelfFeedbackNotAllowed.selector, agentId, bob));
        rep.giveFeedback(agentId, 1, 0, "", "", "", "", 0);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // revokeFeedback
    // ─────────────────────────────────────────────────────────────────────────────

    function test_revokeFeedback_flagsAndKeepsData() public {
        _give(bob, 80, 0, "t1", "t2");
        _give(bob, 90, 0, "t3", "t4");
        vm.expectEmit(address(rep));
        emit FeedbackRevoked(agentId, bob, 1);
        vm.prank(bob);
        rep.revokeFeedback(agentId, 1);
        _assertFeedback(bob, 1, 80, 0, "t1", "t2", true);
        _assertFeedback(bob, 2, 90, 0, "t3", "t4", false);
        assertEq(rep.getLastIndex(agentId, bob), 2);
        assertEq(rep.getClients(agentId).length, 1);
    }

    function test_revokeFeedback_revertsOnIndexZero() public {
        _give(bob, 80, 0, "", "");
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.FeedbackNotFound.selector, agentId, bob, 0));
        rep.revokeFeedback(agentId, 0);
    }

    function test_revokeFeedback_revertsOutOfBounds() public {
        _give(bob, 80, 0, "", "");
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.FeedbackNotFound.selector, agentId, bob, 2));
        rep.revokeFeedback(agentId, 2);
    }

    function test_revokeFeedback_revertsForAnotherClientsFeedback() public {
        _give(bob, 80, 0, "", "");
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.FeedbackNotFound.selector, agentId, carol, 1));
        rep.revokeFeedback(agentId, 1);
    }

    function test_revokeFeedback_revertsWhenAlreadyRevoked() public {
        _give(bob, 80, 0, "", "");
        vm.prank(bob);
        rep.revokeFeedback(agentId, 1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.FeedbackAlreadyRevoked.selector, agentId, bob, 1));
        rep.revokeFeedback(agentId, 1);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // appendResponse / getResponseCount
    // ─────────────────────────────────────────────────────────────────────────────

    function test_appendResponse_emitsAndCounts() public {
        _give(bob, 80, 0, "", "");
        vm.expectEmit(address(rep));
        emit ResponseAppended(agentId, bob, 1, alice, "ipfs://refund", HASH);
        vm.prank(alice);
        rep.appendResponse(agentId, bob, 1, "ipfs://refund", HASH);
        vm.prank(alice);
        rep.appendResponse(agentId, bob, 1, "ipfs://again", 0);
        vm.prank(dave);
        rep.appendResponse(agentId, bob, 1, "ipfs://audit", 0);

        address[] memory none = new address[](0);
        assertEq(rep.getResponseCount(agentId, bob, 1, none), 3);
        assertEq(rep.getResponseCount(agentId, bob, 1, _one(alice)), 2);
        assertEq(rep.getResponseCount(agentId, bob, 1, _one(dave)), 1);
        assertEq(rep.getResponseCount(agentId, bob, 1, _two(alice, dave)), 3);
        assertEq(rep.getResponseCount(agentId, bob, 1, _one(carol)), 0);
    }

    function test_appendResponse_allowedOnRevokedFeedback() public {
        _give(bob, 80, 0, "", "");
        vm.prank(bob);
        rep.revokeFeedback(agentId, 1);
        vm.prank(alice);
        rep.appendResponse(agentId, bob, 1, "ipfs://r", 0);
        assertEq(rep.getResponseCount(agentId, bob, 1, new address[](0)), 1);
    }

    function test_appendResponse_revertsOnEmptyURI() public {
        _give(bob, 80, 0, "", "");
        vm.prank(alice);
        vm.expectRevert(IReputationRegistry.EmptyResponseURI.selector);
        rep.appendResponse(agentId, bob, 1, "", HASH);
    }

    function test_appendResponse_revertsForMissingFeedback() public {
        _give(bob, 80, 0, "", "");
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.FeedbackNotFound.selector, agentId, bob, 0));
        rep.appendResponse(agentId, bob, 0, "ipfs://r", 0);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.FeedbackNotFound.selector, agentId, bob, 2));
        rep.appendResponse(agentId, bob, 2, "ipfs://r", 0);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.FeedbackNotFound.selector, agentId, carol, 1));
        rep.appendResponse(agentId, carol, 1, "ipfs://r", 0);
        vm.stopPrank();
    }

    function test_getResponseCount_scopes() public {
        _give(bob, 1, 0, "", "");
        _give(bob, 2, 0, "", "");
        _give(carol, 3, 0, "", "");
        vm.startPrank(alice);
        rep.appendResponse(agentId, bob, 1, "r", 0);
        rep.appendResponse(agentId, bob, 2, "r", 0);
        rep.appendResponse(agentId, bob, 2, "r", 0);
        rep.appendResponse(agentId, carol, 1, "r", 0);
        vm.stopPrank();
        vm.prank(dave);
        rep.appendResponse(agentId, carol, 1, "r", 0);

        address[] memory none = new address[](0);
        assertEq(rep.getResponseCount(agentId, address(0), 0, none), 5, "all clients");
        assertEq(rep.getResponseCount(agentId, address(0), 0, _one(dave)), 1, "all clients, dave");
        assertEq(rep.getResponseCount(agentId, bob, 0, none), 3, "all of bob");
        assertEq(rep.getResponseCount(agentId, carol, 0, _one(alice)), 1, "all of carol, alice");
        assertEq(rep.getResponseCount(agentId, bob, 2, none), 2, "one feedback");
        assertEq(rep.getResponseCount(agentId, bob, 9, none), 0, "unknown feedback");
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // readFeedback
    // ─────────────────────────────────────────────────────────────────────────────

    function test_readFeedback_revertsForMissingFeedback() public {
        _give(bob, 1, 0, "", "");
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.FeedbackNotFound.selector, agentId, bob, 0));
        rep.readFeedback(agentId, bob, 0);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.FeedbackNotFound.selector, agentId, bob, 2));
        rep.readFeedback(agentId, bob, 2);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.FeedbackNotFound.selector, agentId, carol, 1));
        rep.readFeedback(agentId, carol, 1);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // getSummary
    // ─────────────────────────────────────────────────────────────────────────────

    function test_getSummary_requiresClients() public {
        vm.expectRevert(IReputationRegistry.ClientAddressesRequired.selector);
        rep.getSummary(agentId, new address[](0), "", "");
    }

    function test_getSummary_averagesAndExcludesRevoked() public {
        _give(bob, 80, 0, "", "");
        _give(bob, 10, 0, "", "");
        _give(carol, 90, 0, "", "");
        vm.prank(bob);
        rep.revokeFeedback(agentId, 2);
        (uint64 count, int128 value, uint8 decimals) = rep.getSummary(agentId, _two(bob, carol), "", "");
        assertEq(count, 2);
        assertEq(value, 85);
        assertEq(decimals, 0);
    }

    function test_getSummary_noMatchesIsZero() public {
        _give(bob, 80, 0, "x", "");
        (uint64 count, int128 value, uint8 decimals) = rep.getSummary(agentId, _one(bob), "y", "");
        assertEq(count, 0);
        assertEq(value, 0);
        assertEq(decimals, 0);
        (count, value, decimals) = rep.getSummary(agentId, _one(carol), "", "");
        assertEq(count, 0);
    }

    function test_getSummary_tagFilters() public {
        _give(bob, 10, 0, "uptime", "day");
        _give(bob, 20, 0, "uptime", "week");
        _give(carol, 30, 0, "latency", "day");
        _give(carol, 40, 0, "", "day");
        address[] memory both = _two(bob, carol);
        (uint64 c, int128 v,) = rep.getSummary(agentId, both, "uptime", "");
        assertEq(c, 2);
        assertEq(v, 15);
        (c, v,) = rep.getSummary(agentId, both, "", "day");
        assertEq(c, 3);
        assertEq(v, 26); // (10 + 30 + 40) / 3 = 26.67, truncated
        (c, v,) = rep.getSummary(agentId, both, "uptime", "week");
        assertEq(c, 1);
        assertEq(v, 20);
        (c, v,) = rep.getSummary(agentId, both, "uptim", "");
        assertEq(c, 0);
    }

    function test_getSummary_decimalsModeAndNormalisation() public {
        _give(bob, 9977, 2, "", ""); // 99.77
        _give(bob, 995, 1, "", ""); // 99.5
        _give(carol, 9900, 2, "", ""); // 99.00
        (uint64 c, int128 v, uint8 d) = rep.getSummary(agentId, _two(bob, carol), "", "");
        assertEq(c, 3);
        assertEq(d, 2);
        assertEq(v, 9942); // (99.77 + 99.5 + 99) / 3 = 99.4233…
    }

    function test_getSummary_modeTieTakesLowestDecimals() public {
        _give(bob, 15, 1, "", ""); // 1.5
        _give(carol, 3, 0, "", ""); // 3
        (, int128 v, uint8 d) = rep.getSummary(agentId, _two(bob, carol), "", "");
        assertEq(d, 0);
        assertEq(v, 2); // 2.25 -> 2
    }

    function test_getSummary_negativeAverageTruncatesTowardZero() public {
        _give(bob, -10, 0, "", "");
        _give(carol, -5, 0, "", "");
        (, int128 v,) = rep.getSummary(agentId, _two(bob, carol), "", "");
        assertEq(v, -7); // -7.5 -> -7
    }

    function test_getSummary_duplicateClientsCountTwice() public {
        _give(bob, 10, 0, "", "");
        _give(carol, 40, 0, "", "");
        address[] memory list = new address[](3);
        (list[0], list[1], list[2]) = (bob, bob, carol);
        (uint64 c, int128 v,) = rep.getSummary(agentId, list, "", "");
        assertEq(c, 3);
        assertEq(v, 20);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // readAllFeedback
    // ─────────────────────────────────────────────────────────────────────────────

    function test_readAllFeedback_allClientsWhenEmpty() public {
        _give(bob, 1, 0, "a", "b");
        _give(carol, 2, 1, "c", "");
        _give(bob, 3, 2, "", "d");
        vm.prank(bob);
        rep.revokeFeedback(agentId, 1);

        (
            address[] memory clients,
            uint64[] memory indexes,
            int128[] memory values,
            uint8[] memory decimals,
            string[] memory tag1s,
            string[] memory tag2s,
            bool[] memory revoked
        ) = rep.readAllFeedback(agentId, new address[](0), "", "", false);
        assertEq(clients.length, 2);
        assertEq(clients[0], bob);
        assertEq(indexes[0], 2);
        assertEq(values[0], 3);
        assertEq(decimals[0], 2);
        assertEq(tag1s[0], "");
        assertEq(tag2s[0], "d");
        assertFalse(revoked[0]);
        assertEq(clients[1], carol);
        assertEq(indexes[1], 1);
        assertEq(tag1s[1], "c");

        (clients, indexes,,,,, revoked) = rep.readAllFeedback(agentId, new address[](0), "", "", true);
        assertEq(clients.length, 3);
        assertEq(indexes[0], 1);
        assertTrue(revoked[0]);
    }

    function test_readAllFeedback_explicitClientsAndTags() public {
        _give(bob, 1, 0, "a", "b");
        _give(carol, 2, 0, "a", "x");
        _give(dave, 3, 0, "a", "b");
        (address[] memory clients,, int128[] memory values,,,,) =
            rep.readAllFeedback(agentId, _two(dave, bob), "a", "b", false);
        assertEq(clients.length, 2);
        assertEq(clients[0], dave);
        assertEq(values[0], 3);
        assertEq(clients[1], bob);
        (clients,,,,,,) = rep.readAllFeedback(agentId, _one(carol), "", "b", true);
        assertEq(clients.length, 0);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // pagination
    // ─────────────────────────────────────────────────────────────────────────────

    function test_getClientsPaginated_pages() public {
        address[5] memory cs = [bob, carol, dave, makeAddr("e"), makeAddr("f")];
        for (uint256 i; i < cs.length; ++i) {
            _give(cs[i], int128(int256(i)), 0, "", "");
        }
        (address[] memory page, uint256 total) = rep.getClientsPaginated(agentId, 0, 2);
        assertEq(total, 5);
        assertEq(page.length, 2);
        assertEq(page[0], bob);
        assertEq(page[1], carol);
        (page,) = rep.getClientsPaginated(agentId, 4, 10);
        assertEq(page.length, 1);
        assertEq(page[0], cs[4]);
        (page, total) = rep.getClientsPaginated(agentId, 5, 10);
        assertEq(page.length, 0);
        assertEq(total, 5);
        (page,) = rep.getClientsPaginated(agentId, 1, 0);
        assertEq(page.length, 0);
        (page,) = rep.getClientsPaginated(agentId, 2, type(uint256).max);
        assertEq(page.length, 3);
        (page,) = rep.getClientsPaginated(agentId, type(uint256).max, type(uint256).max);
        assertEq(page.length, 0);
    }

    function test_readAllFeedbackPaginated_pagesByClient() public {
        _give(bob, 1, 0, "a", "");
        _give(bob, 2, 0, "b", "");
        _give(carol, 3, 0, "a", "");
        _give(dave, 4, 0, "a", "");
        vm.prank(bob);
        rep.revokeFeedback(agentId, 1);

        (IReputationRegistry.FeedbackEntry[] memory entries, uint256 total) =
            rep.readAllFeedbackPaginated(agentId, "", "", true, 0, 2);
        assertEq(total, 3);
        assertEq(entries.length, 3);
        assertEq(entries[0].client, bob);
        assertEq(entries[0].feedbackIndex, 1);
        assertTrue(entries[0].isRevoked);
        assertEq(entries[1].tag1, "b");
        assertEq(entries[2].client, carol);
        assertEq(entries[2].value, 3);

        (entries,) = rep.readAllFeedbackPaginated(agentId, "a", "", false, 0, 2);
        assertEq(entries.length, 1);
        assertEq(entries[0].client, carol);
        (entries,) = rep.readAllFeedbackPaginated(agentId, "", "", false, 2, 2);
        assertEq(entries.length, 1);
        assertEq(entries[0].client, dave);
        (entries,) = rep.readAllFeedbackPaginated(agentId, "", "", false, 3, 2);
        assertEq(entries.length, 0);
    }

    function test_getSummaryPaginated_pageEqualsSummaryOfItsClients() public {
        _give(bob, 9977, 2, "", "");
        _give(carol, 995, 1, "", "");
        _give(dave, -3, 0, "", "");
        (uint64 c, int128 v, uint8 d,,, uint256 total) = rep.getSummaryPaginated(agentId, "", "", 0, 2);
        (uint64 ec, int128 ev, uint8 ed) = rep.getSummary(agentId, _two(bob, carol), "", "");
        assertEq(total, 3);
        assertEq(c, ec);
        assertEq(v, ev);
        assertEq(d, ed);
    }

    function test_getSummaryPaginated_pagesMergeToFullSummary() public {
        _give(bob, 9977, 2, "", "");
        _give(carol, 995, 1, "", "");
        _give(dave, 9900, 2, "", "");
        _give(dave, -3, 0, "", "");
        (uint64 fullCount, int128 fullValue, uint8 fullDecimals) =
            rep.getSummary(agentId, rep.getClients(agentId), "", "");

        (uint64 count, int256 sumWad, uint64[19] memory hist) = _mergedPages(2);
        (int128 mergedValue, uint8 mergedDecimals) = rep.summarizeTally(count, sumWad, hist);
        assertEq(count, fullCount);
        assertEq(mergedValue, fullValue);
        assertEq(mergedDecimals, fullDecimals);
    }

    function _mergedPages(uint256 pageSize)
        internal
        view
        returns (uint64 count, int256 sumWad, uint64[19] memory hist)
    {
        uint256 total = 1;
        for (uint256 offset; offset < total; offset += pageSize) {
            uint64 c;
            int256 s;
            uint64[19] memory h;
            (c,,, s, h, total) = rep.getSummaryPaginated(agentId, "", "", offset, pageSize);
            count += c;
            sumWad += s;
            for (uint256 d; d < 19; ++d) {
                hist[d] += h[d];
            }
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // receipt-backed feedback
    // ─────────────────────────────────────────────────────────────────────────────

    function _giveWithReceipt(address client, bytes32 receiptId) internal {
        vm.prank(client);
        rep.giveFeedbackWithReceipt(agentId, 95, 0, "starred", "", ENDPOINT, URI, HASH, address(source), receiptId);
    }

    function test_giveFeedbackWithReceipt_storesAndEmits() public {
        _give(bob, 10, 0, "", ""); // free-form feedback first
        source.setReceipt("r1", bob, agentId, 1000);

        vm.expectEmit(address(rep));
        emit NewFeedback(agentId, bob, 2, 95, 0, "starred", "starred", "", ENDPOINT, URI, HASH);
        vm.expectEmit(address(rep));
        emit VerifiedFeedback(agentId, bob, 2, address(source), bytes32("r1"));
        _giveWithReceipt(bob, "r1");

        _assertFeedback(bob, 2, 95, 0, "starred", "", false);
        (address src, bytes32 rid) = rep.feedbackReceipt(agentId, bob, 2);
        assertEq(src, address(source));
        assertEq(rid, "r1");
        (src, rid) = rep.feedbackReceipt(agentId, bob, 1);
        assertEq(src, address(0));
        assertTrue(rep.isReceiptUsed(address(source), bytes32("r1")));
        assertFalse(rep.isReceiptUsed(address(source), bytes32("r2")));
        (uint64 count, int128 value,) = rep.getSummary(agentId, _one(bob), "", "");
        assertEq(count, 2);
        assertEq(value, 52);
    }

    function test_giveFeedbackWithReceipt_revertsForUnlistedSource() public {
        RepMockReceiptSource other = new RepMockReceiptSource();
        other.setReceipt("r1", bob, agentId, 1000);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.ReceiptSourceNotAllowed.selector, address(other)));
        rep.giveFeedbackWithReceipt(agentId, 1, 0, "", "", "", "", 0, address(other), "r1");
    }

    function test_giveFeedbackWithReceipt_revertsForMissingReceipt() public {
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IReputationRegistry.ReceiptNotFound.selector, address(source), bytes32("nope"))
        );
        rep.giveFeedbackWithReceipt(agentId, 1, 0, "", "", "", "", 0, address(source), bytes32("nope"));
    }

    function test_giveFeedbackWithReceipt_revertsForOtherClient() public {
        source.setReceipt("r1", carol, agentId, 1000);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                IReputationRegistry.ReceiptClientMismatch.selector, address(source), bytes32("r1"), carol, bob
            )
        );
        rep.giveFeedbackWithReceipt(agentId, 1, 0, "", "", "", "", 0, address(source), bytes32("r1"));
    }

    function test_giveFeedbackWithReceipt_revertsForOtherAgent() public {
        uint256 otherAgent = _registerAgent(dave);
        source.setReceipt("r1", bob, otherAgent, 1000);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                IReputationRegistry.ReceiptAgentMismatch.selector, address(source), bytes32("r1"), otherAgent, agentId
            )
        );
        rep.giveFeedbackWithReceipt(agentId, 1, 0, "", "", "", "", 0, address(source), bytes32("r1"));
    }

    function test_giveFeedbackWithReceipt_revertsWhenReused() public {
        source.setReceipt("r1", bob, agentId, 1000);
        _giveWithReceipt(bob, "r1");
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IReputationRegistry.ReceiptAlreadyUsed.selector, address(source), bytes32("r1"))
        );
        rep.giveFeedbackWithReceipt(agentId, 1, 0, "", "", "", "", 0, address(source), bytes32("r1"));
    }

    function test_giveFeedbackWithReceipt_revokedFeedbackDoesNotFreeReceipt() public {
        source.setReceipt("r1", bob, agentId, 1000);
        _giveWithReceipt(bob, "r1");
        vm.prank(bob);
        rep.revokeFeedback(agentId, 1);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IReputationRegistry.ReceiptAlreadyUsed.selector, address(source), bytes32("r1"))
        );
        rep.giveFeedbackWithReceipt(agentId, 1, 0, "", "", "", "", 0, address(source), bytes32("r1"));
    }

    function test_giveFeedbackWithReceipt_stillAppliesSpecRules() public {
        // A receipt naming the owner as client does not let the owner rate its own agent.
        source.setReceipt("r1", alice, agentId, 1000);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.SelfFeedbackNotAllowed.selector, agentId, alice));
        rep.giveFeedbackWithReceipt(agentId, 1, 0, "", "", "", "", 0, address(source), bytes32("r1"));

        source.setReceipt("r2", bob, agentId, 1000);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.ValueDecimalsTooLarge.selector, 19));
        rep.giveFeedbackWithReceipt(agentId, 1, 19, "", "", "", "", 0, address(source), bytes32("r2"));
        assertFalse(rep.isReceiptUsed(address(source), bytes32("r2")), "failed call consumed nothing");
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // setReceiptSource
    // ─────────────────────────────────────────────────────────────────────────────

    function test_setReceiptSource_togglesAndEmits() public {
        address src = makeAddr("src");
        assertFalse(rep.isReceiptSource(src));
        vm.expectEmit(address(rep));
        emit ReceiptSourceSet(src, true);
        vm.prank(owner);
        rep.setReceiptSource(src, true);
        assertTrue(rep.isReceiptSource(src));
        vm.expectEmit(address(rep));
        emit ReceiptSourceSet(src, false);
        vm.prank(owner);
        rep.setReceiptSource(src, false);
        assertFalse(rep.isReceiptSource(src));
    }

    function test_setReceiptSource_disallowKeepsPastLinks() public {
        source.setReceipt("r1", bob, agentId, 1000);
        source.setReceipt("r2", bob, agentId, 1000);
        _giveWithReceipt(bob, "r1");
        vm.prank(owner);
        rep.setReceiptSource(address(source), false);
        (address src,) = rep.feedbackReceipt(agentId, bob, 1);
        assertEq(src, address(source));
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.ReceiptSourceNotAllowed.selector, address(source)));
        rep.giveFeedbackWithReceipt(agentId, 1, 0, "", "", "", "", 0, address(source), bytes32("r2"));
    }

    function test_setReceiptSource_revertsForNonOwner() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, bob));
        rep.setReceiptSource(bob, true);
    }

    function test_setReceiptSource_revertsOnZero() public {
        vm.prank(owner);
        vm.expectRevert(IReputationRegistry.ZeroAddress.selector);
        rep.setReceiptSource(address(0), true);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // fuzz
    // ─────────────────────────────────────────────────────────────────────────────

    function testFuzz_giveFeedback_valueAndDecimalsBounds(int128 value, uint8 decimals) public {
        vm.prank(bob);
        if (decimals > 18) {
            vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.ValueDecimalsTooLarge.selector, decimals));
        } else if (value > MAX_ABS || value < -MAX_ABS) {
            vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.ValueOutOfRange.selector, value));
        }
        rep.giveFeedback(agentId, value, decimals, "", "", "", "", 0);
        if (decimals <= 18 && value <= MAX_ABS && value >= -MAX_ABS) {
            _assertFeedback(bob, 1, value, decimals, "", "", false);
        } else {
            assertEq(rep.getLastIndex(agentId, bob), 0);
        }
    }

    function testFuzz_tags_roundTrip(string memory tag1, string memory tag2, string memory tag1b) public {
        _give(bob, 1, 0, tag1, tag2);
        _give(carol, 2, 0, tag1, tag2); // same pair: shared table entry
        _give(bob, 3, 0, tag1b, tag2);
        _assertFeedback(bob, 1, 1, 0, tag1, tag2, false);
        _assertFeedback(carol, 1, 2, 0, tag1, tag2, false);
        _assertFeedback(bob, 2, 3, 0, tag1b, tag2, false);
    }

    function testFuzz_summary_matchesNaiveRecomputation(uint256 seed) public {
        address[3] memory clients = [bob, carol, dave];
        string[3] memory tags = ["", "a", "b"];
        uint256 n = bound(seed, 1, 24);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint8 decimals = uint8(r % 19);
            int128 value = int128(int256((r >> 8) % (2 * uint256(uint128(MAX_ABS)) + 1)) - int256(MAX_ABS));
            if ((r >> 200) % 3 == 0) value = int128(int256((r >> 140) % 201) - 100); // small values too
            address client = clients[(r >> 240) % 3];
            _give(client, value, decimals, tags[(r >> 245) % 3], tags[(r >> 250) % 3]);
            if ((r >> 252) % 4 == 0) {
                uint64 last = rep.getLastIndex(agentId, client);
                vm.prank(client);
                rep.revokeFeedback(agentId, last);
            }
        }
        address[] memory list = new address[](3);
        (list[0], list[1], list[2]) = (bob, carol, dave);
        for (uint256 f; f < 3; ++f) {
            (uint64 count, int128 value, uint8 decimals) = rep.getSummary(agentId, list, tags[f], "");
            (uint64 eCount, int128 eValue, uint8 eDecimals) = _naiveSummary(list, tags[f]);
            assertEq(count, eCount, "count");
            assertEq(value, eValue, "value");
            assertEq(decimals, eDecimals, "decimals");
        }
    }

    struct NaiveTally {
        int256 sum;
        uint64 count;
        uint64[19] hist;
    }

    /// @dev Straightforward recomputation from `readFeedback`, independent of the registry's internals.
    function _naiveSummary(address[] memory list, string memory tag1)
        internal
        view
        returns (uint64 count, int128 value, uint8 decimals)
    {
        NaiveTally memory t;
        for (uint256 i; i < list.length; ++i) {
            uint64 last = rep.getLastIndex(agentId, list[i]);
            for (uint64 j = 1; j <= last; ++j) {
                _naiveAdd(t, list[i], j, tag1);
            }
        }
        count = t.count;
        if (count == 0) return (0, 0, 0);
        for (uint8 d; d < 19; ++d) {
            if (t.hist[d] > t.hist[decimals]) decimals = d;
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        value = int128((t.sum / int256(uint256(count))) / int256(10 ** (18 - uint256(decimals))));
    }

    function _naiveAdd(NaiveTally memory t, address client, uint64 index, string memory tag1) internal view {
        (int128 v, uint8 d, string memory t1,, bool revoked) = rep.readFeedback(agentId, client, index);
        if (revoked) return;
        if (bytes(tag1).length != 0 && keccak256(bytes(t1)) != keccak256(bytes(tag1))) return;
        t.sum += int256(v) * int256(10 ** (18 - uint256(d)));
        t.hist[d]++;
        t.count++;
    }
}
