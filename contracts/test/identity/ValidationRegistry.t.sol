// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ValidationRegistry} from "../../src/identity/ValidationRegistry.sol";
import {IValidationRegistry} from "../../src/identity/interfaces/IValidationRegistry.sol";
import {RepIdentityStandIn} from "./utils/RepIdentityStandIn.sol";
import {RepTestBase} from "./utils/RepTestBase.sol";

contract ValidationRegistryTest is RepTestBase {
    event ValidationRequest(
        address indexed validatorAddress, uint256 indexed agentId, string requestURI, bytes32 indexed requestHash
    );
    event ValidationResponse(
        address indexed validatorAddress,
        uint256 indexed agentId,
        bytes32 indexed requestHash,
        uint8 response,
        string responseURI,
        bytes32 responseHash,
        string tag
    );

    string internal constant URI = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    bytes32 internal constant H1 = keccak256("request 1");
    bytes32 internal constant H2 = keccak256("request 2");
    bytes32 internal constant RESP = keccak256("response");

    ValidationRegistry internal val;
    address internal validator;
    uint256 internal agentId;

    function setUp() public {
        _setUpIdentity();
        val = new ValidationRegistry(address(identity));
        validator = dave;
        agentId = _registerAgent(alice);
    }

    function _request(bytes32 h) internal {
        vm.prank(alice);
        val.validationRequest(validator, agentId, URI, h);
    }

    function _respond(bytes32 h, uint8 response, string memory tag) internal {
        vm.prank(validator);
        val.validationResponse(h, response, URI, RESP, tag);
    }

    function _one(address a) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // constructor & views
    // ─────────────────────────────────────────────────────────────────────────────

    function test_constructor_setsIdentity() public view {
        assertEq(val.getIdentityRegistry(), address(identity));
        assertEq(val.getVersion(), "2.0.0");
        assertEq(val.MAX_RESPONSE(), 100);
    }

    function test_constructor_revertsOnZeroIdentity() public {
        vm.expectRevert(IValidationRegistry.ZeroAddress.selector);
        new ValidationRegistry(address(0));
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // validationRequest
    // ─────────────────────────────────────────────────────────────────────────────

    function test_validationRequest_storesAndEmits() public {
        vm.warp(1_700_000_000);
        vm.expectEmit(address(val));
        emit ValidationRequest(validator, agentId, URI, H1);
        _request(H1);

        (address v, uint256 a, uint8 r, bytes32 rh, string memory tag, uint256 lastUpdate) = val.getValidationStatus(H1);
        assertEq(v, validator);
        assertEq(a, agentId);
        assertEq(r, 0);
        assertEq(rh, 0);
        assertEq(tag, "");
        assertEq(lastUpdate, 1_700_000_000);
        bytes32[] memory list = val.getAgentValidations(agentId);
        assertEq(list.length, 1);
        assertEq(list[0], H1);
        list = val.getValidatorRequests(validator);
        assertEq(list.length, 1);
        assertEq(list[0], H1);
    }

    function test_validationRequest_byOperatorAndApproved() public {
        vm.startPrank(alice);
        identity.setApprovalForAll(operator, true);
        identity.approve(bob, agentId);
        vm.stopPrank();
        vm.prank(operator);
        val.validationRequest(validator, agentId, URI, H1);
        vm.prank(bob);
        val.validationRequest(validator, agentId, URI, H2);
        assertEq(val.getAgentValidations(agentId).length, 2);
    }

    function test_validationRequest_zeroHashIsAValidKey() public {
        _request(bytes32(0));
        (address v,,,,,) = val.getValidationStatus(bytes32(0));
        assertEq(v, validator);
    }

    function test_validationRequest_revertsOnZeroValidator() public {
        vm.prank(alice);
        vm.expectRevert(IValidationRegistry.ZeroAddress.selector);
        val.validationRequest(address(0), agentId, URI, H1);
    }

    function test_validationRequest_revertsOnDuplicateHash() public {
        _request(H1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IValidationRegistry.RequestAlreadyExists.selector, H1));
        val.validationRequest(bob, agentId, URI, H1);
    }

    function test_validationRequest_revertsForStranger() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IValidationRegistry.NotAgentOwnerOrOperator.selector, agentId, bob));
        val.validationRequest(validator, agentId, URI, H1);
    }

    function test_validationRequest_revertsForUnknownAgent() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IValidationRegistry.AgentNotFound.selector, 777));
        val.validationRequest(validator, 777, URI, H1);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // validationResponse
    // ─────────────────────────────────────────────────────────────────────────────

    function test_validationResponse_storesAndEmits() public {
        _request(H1);
        vm.warp(block.timestamp + 100);
        vm.expectEmit(address(val));
        emit ValidationResponse(validator, agentId, H1, 92, URI, RESP, "zkml");
        _respond(H1, 92, "zkml");
        (, uint256 a, uint8 r, bytes32 rh, string memory tag, uint256 lastUpdate) = val.getValidationStatus(H1);
        assertEq(a, agentId);
        assertEq(r, 92);
        assertEq(rh, RESP);
        assertEq(tag, "zkml");
        assertEq(lastUpdate, block.timestamp);
    }

    function test_validationResponse_canBeRepeatedAndOverwrites() public {
        _request(H1);
        _respond(H1, 40, "soft-finality");
        vm.warp(block.timestamp + 1 days);
        vm.prank(validator);
        val.validationResponse(H1, 100, "ipfs://final", 0, "");
        (,, uint8 r, bytes32 rh, string memory tag, uint256 lastUpdate) = val.getValidationStatus(H1);
        assertEq(r, 100);
        assertEq(rh, 0, "hash cleared");
        assertEq(tag, "", "tag cleared");
        assertEq(lastUpdate, block.timestamp);
        _respond(H1, 0, "hard-finality");
        (,, r, rh, tag,) = val.getValidationStatus(H1);
        assertEq(r, 0);
        assertEq(rh, RESP);
        assertEq(tag, "hard-finality");
    }

    function test_validationResponse_longTag() public {
        string memory tag = "a-validation-tag-that-is-longer-than-thirty-one-bytes-for-sure";
        _request(H1);
        _respond(H1, 7, tag);
        (,,,, string memory stored,) = val.getValidationStatus(H1);
        assertEq(stored, tag);
    }

    /// @dev "tag42" and "tag110" pick the same 16-bit table slot: the later one is stored inline.
    function test_validationResponse_tagTableCollisionFallsBackInline() public {
        _request(H1);
        _request(H2);
        _respond(H1, 10, "tag42");
        _respond(H2, 20, "tag110");
        (,,,, string memory t1,) = val.getValidationStatus(H1);
        (,,,, string memory t2,) = val.getValidationStatus(H2);
        assertEq(t1, "tag42");
        assertEq(t2, "tag110");
        (uint64 count, uint8 avg) = val.getSummary(agentId, new address[](0), "tag110");
        assertEq(count, 1);
        assertEq(avg, 20);
        // Switching an inline-tagged answer back to a table tag.
        _respond(H2, 30, "tag42");
        (,,,, t2,) = val.getValidationStatus(H2);
        assertEq(t2, "tag42");
        (count, avg) = val.getSummary(agentId, new address[](0), "tag42");
        assertEq(count, 2);
        assertEq(avg, 20);
    }

    function test_validationResponse_boundaries() public {
        _request(H1);
        _request(H2);
        _respond(H1, 0, "");
        _respond(H2, 100, "");
        (,, uint8 r1,,,) = val.getValidationStatus(H1);
        (,, uint8 r2,,,) = val.getValidationStatus(H2);
        assertEq(r1, 0);
        assertEq(r2, 100);
    }

    function test_validationResponse_revertsAbove100() public {
        _request(H1);
        vm.prank(validator);
        vm.expectRevert(abi.encodeWithSelector(IValidationRegistry.ResponseOutOfRange.selector, 101));
        val.validationResponse(H1, 101, URI, RESP, "");
    }

    function test_validationResponse_revertsForUnknownRequest() public {
        vm.prank(validator);
        vm.expectRevert(abi.encodeWithSelector(IValidationRegistry.RequestNotFound.selector, H1));
        val.validationResponse(H1, 1, URI, RESP, "");
    }

    function test_validationResponse_revertsForOtherThanValidator() public {
        _request(H1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IValidationRegistry.NotRequestValidator.selector, H1, validator, alice));
        val.validationResponse(H1, 1, URI, RESP, "");
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // getValidationStatus
    // ─────────────────────────────────────────────────────────────────────────────

    function test_hasResponse() public {
        _request(H1);
        assertFalse(val.hasResponse(H1));
        _respond(H1, 0, "");
        assertTrue(val.hasResponse(H1));
        (,, uint8 r,,,) = val.getValidationStatus(H1);
        assertEq(r, 0, "answered with 0");
        vm.expectRevert(abi.encodeWithSelector(IValidationRegistry.RequestNotFound.selector, H2));
        val.hasResponse(H2);
    }

    function test_getValidationStatus_revertsForUnknownRequest() public {
        vm.expectRevert(abi.encodeWithSelector(IValidationRegistry.RequestNotFound.selector, H1));
        val.getValidationStatus(H1);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // getSummary
    // ─────────────────────────────────────────────────────────────────────────────

    function _fourRequests() internal {
        address other = makeAddr("validator2");
        _request(H1);
        _request(H2);
        vm.startPrank(alice);
        val.validationRequest(other, agentId, URI, "h3");
        val.validationRequest(other, agentId, URI, "h4"); // never answered
        vm.stopPrank();
        _respond(H1, 90, "zkml");
        _respond(H2, 71, "tee");
        vm.prank(other);
        val.validationResponse("h3", 50, URI, 0, "zkml");
    }

    function test_getSummary_filters() public {
        _fourRequests();
        address[] memory none = new address[](0);
        (uint64 c, uint8 avg) = val.getSummary(agentId, none, "");
        assertEq(c, 3);
        assertEq(avg, 70); // 211 / 3 = 70.33
        (c, avg) = val.getSummary(agentId, _one(validator), "");
        assertEq(c, 2);
        assertEq(avg, 80); // 161 / 2 = 80.5
        (c, avg) = val.getSummary(agentId, none, "zkml");
        assertEq(c, 2);
        assertEq(avg, 70);
        (c, avg) = val.getSummary(agentId, _one(validator), "zkml");
        assertEq(c, 1);
        assertEq(avg, 90);
        (c, avg) = val.getSummary(agentId, _one(bob), "");
        assertEq(c, 0);
        assertEq(avg, 0);
        (c, avg) = val.getSummary(agentId + 1, none, "");
        assertEq(c, 0);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // pagination
    // ─────────────────────────────────────────────────────────────────────────────

    function test_paginatedLists() public {
        _fourRequests();
        (bytes32[] memory page, uint256 total) = val.getAgentValidationsPaginated(agentId, 1, 2);
        assertEq(total, 4);
        assertEq(page.length, 2);
        assertEq(page[0], H2);
        assertEq(page[1], bytes32("h3"));
        (page, total) = val.getAgentValidationsPaginated(agentId, 3, 10);
        assertEq(page.length, 1);
        assertEq(page[0], bytes32("h4"));
        (page,) = val.getAgentValidationsPaginated(agentId, 4, 10);
        assertEq(page.length, 0);
        (page, total) = val.getValidatorRequestsPaginated(validator, 0, 1);
        assertEq(total, 2);
        assertEq(page.length, 1);
        assertEq(page[0], H1);
        (page, total) = val.getValidatorRequestsPaginated(makeAddr("validator2"), 0, type(uint256).max);
        assertEq(total, 2);
        assertEq(page[1], bytes32("h4"));
        (page,) = val.getValidatorRequestsPaginated(validator, type(uint256).max, 1);
        assertEq(page.length, 0);
    }

    function test_getSummaryPaginated_pagesMerge() public {
        _fourRequests();
        address[] memory none = new address[](0);
        (uint64 c1, uint8 avg1, uint256 s1, uint256 total) = val.getSummaryPaginated(agentId, none, "", 0, 2);
        assertEq(total, 4);
        assertEq(c1, 2);
        assertEq(s1, 161);
        assertEq(avg1, 80);
        (uint64 c2,, uint256 s2,) = val.getSummaryPaginated(agentId, none, "", 2, 2);
        (uint64 c, uint8 avg) = val.getSummary(agentId, none, "");
        assertEq(c1 + c2, c);
        assertEq((s1 + s2) / (c1 + c2), avg);
        (c1,,,) = val.getSummaryPaginated(agentId, none, "", 9, 2);
        assertEq(c1, 0);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // agent ids beyond the packed width
    // ─────────────────────────────────────────────────────────────────────────────

    function test_largeAgentIdsSpillAndRoundTrip() public {
        RepIdentityStandIn standIn = new RepIdentityStandIn();
        ValidationRegistry v2 = new ValidationRegistry(address(standIn));
        uint256[4] memory ids = [uint256(type(uint32).max) - 1, uint256(type(uint32).max), 1 << 40, type(uint256).max];
        for (uint256 i; i < ids.length; ++i) {
            standIn.mintTo(alice, ids[i]);
            bytes32 h = keccak256(abi.encode(i));
            vm.prank(alice);
            v2.validationRequest(validator, ids[i], URI, h);
            vm.expectEmit(address(v2));
            emit ValidationResponse(validator, ids[i], h, 5, URI, RESP, "t");
            vm.prank(validator);
            v2.validationResponse(h, 5, URI, RESP, "t");
            (, uint256 stored,,,,) = v2.getValidationStatus(h);
            assertEq(stored, ids[i]);
            assertEq(v2.getAgentValidations(ids[i])[0], h);
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // fuzz
    // ─────────────────────────────────────────────────────────────────────────────

    function testFuzz_validationResponse_range(uint8 response) public {
        _request(H1);
        vm.prank(validator);
        if (response > 100) {
            vm.expectRevert(abi.encodeWithSelector(IValidationRegistry.ResponseOutOfRange.selector, response));
        }
        val.validationResponse(H1, response, URI, RESP, "t");
        (,, uint8 stored,,,) = val.getValidationStatus(H1);
        assertEq(stored, response > 100 ? 0 : response);
    }

    function testFuzz_statusRoundTrip(bytes32 requestHash, uint8 response, bytes32 responseHash, string memory tag)
        public
    {
        response = uint8(bound(response, 0, 100));
        _request(requestHash);
        vm.warp(block.timestamp + 5);
        vm.prank(validator);
        val.validationResponse(requestHash, response, URI, responseHash, tag);
        (address v, uint256 a, uint8 r, bytes32 rh, string memory t, uint256 lu) = val.getValidationStatus(requestHash);
        assertEq(v, validator);
        assertEq(a, agentId);
        assertEq(r, response);
        assertEq(rh, responseHash);
        assertEq(t, tag);
        assertEq(lu, block.timestamp);
    }

    function testFuzz_summary_matchesNaive(uint256 seed) public {
        address[2] memory validators = [validator, makeAddr("validator2")];
        string[3] memory tags = ["", "zkml", "tee"];
        uint256 n = bound(seed, 1, 20);
        uint256[2] memory sums;
        uint256[2] memory counts;
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            bytes32 h = keccak256(abi.encode("req", i));
            uint256 vi = r % 2;
            vm.prank(alice);
            val.validationRequest(validators[vi], agentId, URI, h);
            if ((r >> 8) % 4 == 0) continue; // unanswered
            uint8 response = uint8((r >> 16) % 101);
            uint256 t = (r >> 32) % 3;
            vm.prank(validators[vi]);
            val.validationResponse(h, response, URI, 0, tags[t]);
            if (t == 1) {
                sums[vi] += response;
                counts[vi] += 1;
            }
        }
        (uint64 c, uint8 avg) = val.getSummary(agentId, _one(validators[0]), "zkml");
        assertEq(c, counts[0]);
        assertEq(avg, counts[0] == 0 ? 0 : sums[0] / counts[0]);
        (c, avg) = val.getSummary(agentId, new address[](0), "zkml");
        assertEq(c, counts[0] + counts[1]);
        assertEq(avg, c == 0 ? 0 : (sums[0] + sums[1]) / c);
    }
}
