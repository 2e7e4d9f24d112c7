// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {console2} from "forge-std/console2.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

import {IIdentityRegistry} from "../../src/identity/interfaces/IIdentityRegistry.sol";
import {IdentityTestBase} from "./utils/IdentityTestBase.sol";
import {IdentityBaseline} from "./utils/IdentityBaseline.sol";
import {IdentityStrings} from "./utils/IdentityStrings.sol";
import {
    IdentityTestWallet1271,
    IdentityTestReceiver,
    IdentityTestBadReceiver,
    IdentityTestNonReceiver,
    IdentityTestRevertingReceiver
} from "./utils/IdentityMocks.sol";

contract IdentityRegistryTest is IdentityTestBase {
    // =================================================================================================================
    // register()
    // =================================================================================================================

    function test_register_mintsToCallerWithDefaultWallet() public {
        vm.recordLogs();
        vm.prank(alice);
        uint256 agentId = registry.register();

        assertEq(agentId, 0, "ids start at 0 like the canonical registry");
        assertEq(registry.ownerOf(0), alice);
        assertEq(registry.balanceOf(alice), 1);
        assertEq(registry.tokenURI(0), "");
        assertEq(registry.getAgentWallet(0), alice);
        assertEq(registry.getMetadata(0, "agentWallet"), abi.encodePacked(alice));
        assertEq(registry.totalAgents(), 1);

        // Exact event sequence of the canonical registry: Transfer, Registered, MetadataSet(agentWallet).
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 3);
        assertEq(logs[0].topics[0], TOPIC_TRANSFER);
        assertEq(logs[0].topics[1], bytes32(0));
        assertEq(logs[0].topics[2], bytes32(uint256(uint160(alice))));
        assertEq(logs[0].topics[3], bytes32(0));
        assertEq(logs[1].topics[0], TOPIC_REGISTERED);
        assertEq(logs[1].topics[1], bytes32(0));
        assertEq(logs[1].topics[2], bytes32(uint256(uint160(alice))));
        assertEq(abi.decode(logs[1].data, (string)), "");
        assertEq(logs[2].topics[0], TOPIC_METADATA_SET);
        assertEq(logs[2].topics[2], keccak256("agentWallet"));
        (string memory key, bytes memory value) = abi.decode(logs[2].data, (string, bytes));
        assertEq(key, "agentWallet");
        assertEq(value, abi.encodePacked(alice));
        for (uint256 i; i < logs.length; ++i) {
            assertEq(logs[i].emitter, address(registry));
        }
    }

    function test_register_sequentialIdsAcrossCallers() public {
        for (uint256 i; i < 5; ++i) {
            address caller = i % 2 == 0 ? alice : bob;
            assertEq(_register(caller), i);
            assertEq(registry.ownerOf(i), caller);
            assertEq(registry.getAgentWallet(i), caller);
        }
        assertEq(registry.totalAgents(), 5);
        assertEq(registry.balanceOf(alice), 3);
        assertEq(registry.balanceOf(bob), 2);
    }

    function test_register_toReceiverContract() public {
        IdentityTestReceiver receiver = new IdentityTestReceiver();
        bytes memory ret = receiver.call(address(registry), abi.encodeWithSignature("register()"));
        uint256 agentId = abi.decode(ret, (uint256));
        assertEq(registry.ownerOf(agentId), address(receiver));
        assertEq(registry.getAgentWallet(agentId), address(receiver));
        assertEq(receiver.calls(), 1);
        assertEq(receiver.lastOperator(), address(receiver));
        assertEq(receiver.lastFrom(), address(0));
        assertEq(receiver.lastTokenId(), agentId);
    }

    function test_register_revertsForNonReceiverContract() public {
        IdentityTestNonReceiver nonReceiver = new IdentityTestNonReceiver();
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidReceiver.selector, address(nonReceiver)));
        nonReceiver.call(address(registry), abi.encodeWithSignature("register()"));
        assertEq(registry.totalAgents(), 0);
    }

    function test_register_revertsForReceiverReturningWrongValue() public {
        IdentityTestBadReceiver bad = new IdentityTestBadReceiver();
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidReceiver.selector, address(bad)));
        bad.call(address(registry), abi.encodeWithSignature("register(string)", IPFS_URI_A));
    }

    function test_register_bubblesReceiverRevertReason() public {
        IdentityTestRevertingReceiver r = new IdentityTestRevertingReceiver();
        vm.expectRevert(IdentityTestRevertingReceiver.ReceiverRefuses.selector);
        r.call(
            address(registry),
            abi.encodeWithSignature("register(string,(string,bytes)[])", IPFS_URI_A, _entries("k", "v"))
        );
    }

    // =================================================================================================================
    // register(string)
    // =================================================================================================================

    function test_registerWithURI_storesURIAndEmitsCanonicalEvents() public {
        vm.recordLogs();
        vm.prank(alice);
        uint256 agentId = registry.register(IPFS_URI_A);

        assertEq(registry.tokenURI(agentId), IPFS_URI_A);
        assertEq(registry.getAgentWallet(agentId), alice);

        // Transfer, MetadataUpdate (ERC-4906, from URI storage), Registered, MetadataSet(agentWallet).
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 4);
        assertEq(logs[0].topics[0], TOPIC_TRANSFER);
        assertEq(logs[1].topics[0], TOPIC_METADATA_UPDATE);
        assertEq(abi.decode(logs[1].data, (uint256)), agentId);
        assertEq(logs[2].topics[0], TOPIC_REGISTERED);
        assertEq(abi.decode(logs[2].data, (string)), IPFS_URI_A);
        assertEq(logs[3].topics[0], TOPIC_METADATA_SET);
    }

    function test_registerWithURI_emptyString() public {
        uint256 agentId = _register(alice, "");
        assertEq(registry.tokenURI(agentId), "");
    }

    function test_registerWithURI_chunkBoundaries() public {
        // Lengths around the 7-byte head and the 32-byte tail chunks.
        uint256[14] memory lengths = [uint256(0), 1, 6, 7, 8, 31, 38, 39, 40, 70, 71, 72, 500, 1025];
        for (uint256 i; i < lengths.length; ++i) {
            string memory uri = _makeString(lengths[i], i);
            uint256 agentId = _register(bob, uri);
            assertEq(registry.tokenURI(agentId), uri);
        }
    }

    function testFuzz_registerWithURI_roundTrip(address caller, string calldata uri) public {
        vm.assume(caller != address(0) && caller.code.length == 0);
        vm.expectEmit(true, true, false, true, address(registry));
        emit Registered(0, uri, caller);
        vm.prank(caller);
        uint256 agentId = registry.register(uri);
        assertEq(registry.tokenURI(agentId), uri);
        assertEq(registry.ownerOf(agentId), caller);
        assertEq(registry.getAgentWallet(agentId), caller);
    }

    // =================================================================================================================
    // URI encoding: packed "ipfs://" + base32 vs raw; tokenURI must always return the exact input
    // =================================================================================================================

    function test_uri_packedIpfsLengths() public {
        for (uint256 n; n <= 140; ++n) {
            string memory uri = IdentityStrings.ipfs(n, n);
            uint256 agentId = _register(alice, uri);
            assertEq(registry.tokenURI(agentId), uri);
        }
    }

    function test_uri_prefixVariantsStayRaw() public {
        string[9] memory uris = [
            "ipfs://",
            "ipfs:/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
            "IPFS://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
            "ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
            "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/agent.json",
            "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdI",
            "ipfs://a",
            "ipfs://ipfs://",
            "https://agent.example/.well-known/agent-registration.json"
        ];
        for (uint256 i; i < uris.length; ++i) {
            uint256 agentId = _register(alice, uris[i]);
            assertEq(registry.tokenURI(agentId), uris[i]);
        }
    }

    /// The storage footprint the gas design relies on (slots written by a registration).
    function test_uri_storageFootprint() public {
        _register(alice); // warm-up: counter and alice's balance already non-zero
        // packed 66-char ipfs URI: counter + balance + agent word + 1 tail chunk
        vm.record();
        _register(alice, IPFS_URI_A);
        (, bytes32[] memory writes) = vm.accesses(address(registry));
        assertEq(_distinct(writes), 4, "packed ipfs URI");
        // raw 66-byte URI: counter + balance + agent word + 2 tail chunks
        vm.record();
        _register(alice, string.concat("https://agent.example/", IdentityStrings.printable(44, 1)));
        (, writes) = vm.accesses(address(registry));
        assertEq(_distinct(writes), 5, "raw URI");
        // register(): counter + balance + agent word (the default agentWallet costs no slot)
        vm.record();
        _register(alice);
        (, writes) = vm.accesses(address(registry));
        assertEq(_distinct(writes), 3, "no URI");
    }

    function _distinct(bytes32[] memory slots) private pure returns (uint256 n) {
        for (uint256 i; i < slots.length; ++i) {
            bool seen;
            for (uint256 j; j < i; ++j) {
                if (slots[j] == slots[i]) seen = true;
            }
            if (!seen) n++;
        }
    }

    function testFuzz_uri_anyEncodingRoundTrip(uint256 seedA, uint256 seedB) public {
        string memory a = IdentityStrings.any(seedA, 300);
        string memory b = IdentityStrings.any(seedB, 300);
        uint256 agentId = _register(alice, a);
        assertEq(registry.tokenURI(agentId), a);
        // Switch encodings and lengths in both directions on the same agent.
        vm.startPrank(alice);
        registry.setAgentURI(agentId, b);
        assertEq(registry.tokenURI(agentId), b);
        registry.setAgentURI(agentId, a);
        assertEq(registry.tokenURI(agentId), a);
        vm.stopPrank();
    }

    function testFuzz_uri_foreignCharacterFallsBackToRaw(uint16 n, uint16 pos, uint8 c) public {
        n = uint16(bound(n, 1, 200));
        pos = uint16(bound(pos, 0, n - 1));
        bytes memory uri = bytes(IdentityStrings.ipfs(n, n));
        uri[7 + pos] = bytes1(c);
        uint256 agentId = _register(bob, string(uri));
        assertEq(bytes(registry.tokenURI(agentId)), uri);
    }

    // =================================================================================================================
    // register(string, MetadataEntry[])
    // =================================================================================================================

    function test_registerWithMetadata_storesEntriesAndEmitsInOrder() public {
        IIdentityRegistry.MetadataEntry[] memory entries = new IIdentityRegistry.MetadataEntry[](3);
        entries[0] = IIdentityRegistry.MetadataEntry("agentName", "Machina");
        entries[1] = IIdentityRegistry.MetadataEntry("empty", "");
        entries[2] = IIdentityRegistry.MetadataEntry("long", bytes(_makeString(100, 7)));

        vm.recordLogs();
        vm.prank(alice);
        uint256 agentId = registry.register(IPFS_URI_A, entries);

        assertEq(registry.getMetadata(agentId, "agentName"), bytes("Machina"));
        assertEq(registry.getMetadata(agentId, "empty"), bytes(""));
        assertEq(registry.getMetadata(agentId, "long"), bytes(_makeString(100, 7)));
        assertEq(registry.tokenURI(agentId), IPFS_URI_A);
        assertEq(registry.getAgentWallet(agentId), alice);

        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 7);
        assertEq(logs[0].topics[0], TOPIC_TRANSFER);
        assertEq(logs[1].topics[0], TOPIC_METADATA_UPDATE);
        assertEq(logs[2].topics[0], TOPIC_REGISTERED);
        assertEq(logs[3].topics[0], TOPIC_METADATA_SET);
        assertEq(logs[3].topics[2], keccak256("agentWallet"));
        for (uint256 i; i < 3; ++i) {
            assertEq(logs[4 + i].topics[0], TOPIC_METADATA_SET);
            assertEq(logs[4 + i].topics[1], bytes32(agentId));
            assertEq(logs[4 + i].topics[2], keccak256(bytes(entries[i].metadataKey)));
            (string memory k, bytes memory v) = abi.decode(logs[4 + i].data, (string, bytes));
            assertEq(k, entries[i].metadataKey);
            assertEq(v, entries[i].metadataValue);
        }
    }

    function test_registerWithMetadata_emptyArray() public {
        vm.prank(alice);
        uint256 agentId = registry.register(IPFS_URI_A, new IIdentityRegistry.MetadataEntry[](0));
        assertEq(registry.tokenURI(agentId), IPFS_URI_A);
        assertEq(registry.getAgentWallet(agentId), alice);
    }

    function test_registerWithMetadata_revertsOnReservedKey() public {
        IIdentityRegistry.MetadataEntry[] memory entries = new IIdentityRegistry.MetadataEntry[](2);
        entries[0] = IIdentityRegistry.MetadataEntry("fine", "1");
        entries[1] = IIdentityRegistry.MetadataEntry("agentWallet", abi.encodePacked(mallory));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityReservedKey.selector, "agentWallet"));
        registry.register(IPFS_URI_A, entries);
        assertEq(registry.totalAgents(), 0);
    }

    function test_registerWithMetadata_reservedKeyIsCaseSensitive() public {
        vm.prank(alice);
        uint256 agentId = registry.register("", _entries("AgentWallet", "x"));
        assertEq(registry.getMetadata(agentId, "AgentWallet"), bytes("x"));
        assertEq(registry.getAgentWallet(agentId), alice);
    }

    function testFuzz_registerWithMetadata(string calldata uri, string calldata key, bytes calldata value) public {
        vm.prank(alice);
        if (_isReserved(key)) {
            vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityReservedKey.selector, key));
            registry.register(uri, _entries(key, value));
            return;
        }
        vm.expectEmit(true, true, false, true, address(registry));
        emit MetadataSet(0, key, key, value);
        uint256 agentId = registry.register(uri, _entries(key, value));
        assertEq(registry.getMetadata(agentId, key), value);
        assertEq(registry.tokenURI(agentId), uri);
    }

    // =================================================================================================================
    // setAgentURI
    // =================================================================================================================

    function test_setAgentURI_byOwner() public {
        uint256 agentId = _register(alice, IPFS_URI_A);
        vm.recordLogs();
        vm.prank(alice);
        registry.setAgentURI(agentId, IPFS_URI_B);
        assertEq(registry.tokenURI(agentId), IPFS_URI_B);

        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2);
        assertEq(logs[0].topics[0], TOPIC_METADATA_UPDATE);
        assertEq(logs[1].topics[0], TOPIC_URI_UPDATED);
        assertEq(logs[1].topics[1], bytes32(agentId));
        assertEq(logs[1].topics[2], bytes32(uint256(uint160(alice))));
        assertEq(abi.decode(logs[1].data, (string)), IPFS_URI_B);
    }

    function test_setAgentURI_byOperator() public {
        uint256 agentId = _register(alice, IPFS_URI_A);
        vm.prank(alice);
        registry.setApprovalForAll(bob, true);
        vm.expectEmit(true, true, false, true, address(registry));
        emit URIUpdated(agentId, "https://bob.example/agent.json", bob);
        vm.prank(bob);
        registry.setAgentURI(agentId, "https://bob.example/agent.json");
        assertEq(registry.tokenURI(agentId), "https://bob.example/agent.json");
    }

    function test_setAgentURI_byApproved() public {
        uint256 agentId = _register(alice, IPFS_URI_A);
        vm.prank(alice);
        registry.approve(charlie, agentId);
        vm.prank(charlie);
        registry.setAgentURI(agentId, "");
        assertEq(registry.tokenURI(agentId), "");
    }

    function test_setAgentURI_keepsOwnerAndWallet() public {
        uint256 agentId = _register(alice, IPFS_URI_A);
        vm.prank(alice);
        registry.setAgentURI(agentId, _makeString(200, 1));
        assertEq(registry.ownerOf(agentId), alice);
        assertEq(registry.getAgentWallet(agentId), alice);
        assertEq(registry.balanceOf(alice), 1);
    }

    function test_setAgentURI_revertsWhenNotAuthorized() public {
        uint256 agentId = _register(alice, IPFS_URI_A);
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityNotAuthorized.selector, agentId, mallory));
        registry.setAgentURI(agentId, "ipfs://evil");
    }

    function test_setAgentURI_revertsForNonexistentAgent() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 42));
        registry.setAgentURI(42, IPFS_URI_A);
    }

    function test_setAgentURI_revokedOperatorLosesAccess() public {
        uint256 agentId = _register(alice);
        vm.startPrank(alice);
        registry.setApprovalForAll(bob, true);
        registry.setApprovalForAll(bob, false);
        vm.stopPrank();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityNotAuthorized.selector, agentId, bob));
        registry.setAgentURI(agentId, "x");
    }

    function testFuzz_setAgentURI_rewrites(string calldata first, string calldata second) public {
        uint256 agentId = _register(alice, first);
        vm.prank(alice);
        registry.setAgentURI(agentId, second);
        assertEq(registry.tokenURI(agentId), second);
        // And back: stale tail chunks of a longer URI must never leak into a shorter one.
        vm.prank(alice);
        registry.setAgentURI(agentId, first);
        assertEq(registry.tokenURI(agentId), first);
    }

    function testFuzz_setAgentURI_lengths(uint16 lenA, uint16 lenB, uint256 seed) public {
        lenA = uint16(bound(lenA, 0, 600));
        lenB = uint16(bound(lenB, 0, 600));
        string memory a = _makeString(lenA, seed);
        string memory b = _makeString(lenB, ~seed);
        uint256 agentId = _register(alice, a);
        assertEq(registry.tokenURI(agentId), a);
        vm.prank(alice);
        registry.setAgentURI(agentId, b);
        assertEq(registry.tokenURI(agentId), b);
        assertEq(bytes(registry.tokenURI(agentId)).length, lenB);
    }

    // =================================================================================================================
    // getMetadata / setMetadata
    // =================================================================================================================

    function test_setMetadata_byOwner() public {
        uint256 agentId = _register(alice);
        vm.expectEmit(true, true, false, true, address(registry));
        emit MetadataSet(agentId, "agentName", "agentName", "Machina");
        vm.prank(alice);
        registry.setMetadata(agentId, "agentName", "Machina");
        assertEq(registry.getMetadata(agentId, "agentName"), bytes("Machina"));
    }

    function test_setMetadata_byOperator() public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        registry.setApprovalForAll(bob, true);
        vm.prank(bob);
        registry.setMetadata(agentId, "k", "v");
        assertEq(registry.getMetadata(agentId, "k"), bytes("v"));
    }

    function test_setMetadata_byApproved() public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        registry.approve(charlie, agentId);
        vm.prank(charlie);
        registry.setMetadata(agentId, "k", "v");
        assertEq(registry.getMetadata(agentId, "k"), bytes("v"));
    }

    function test_setMetadata_overwriteAndClear() public {
        uint256 agentId = _register(alice);
        vm.startPrank(alice);
        registry.setMetadata(agentId, "k", bytes(_makeString(90, 3)));
        registry.setMetadata(agentId, "k", "short");
        assertEq(registry.getMetadata(agentId, "k"), bytes("short"));
        registry.setMetadata(agentId, "k", "");
        assertEq(registry.getMetadata(agentId, "k"), bytes(""));
        vm.stopPrank();
    }

    function test_setMetadata_isPerAgent() public {
        uint256 a = _register(alice);
        uint256 b = _register(alice);
        vm.prank(alice);
        registry.setMetadata(a, "k", "a");
        assertEq(registry.getMetadata(b, "k"), bytes(""));
    }

    function test_setMetadata_revertsOnReservedKey() public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityReservedKey.selector, "agentWallet"));
        registry.setMetadata(agentId, "agentWallet", abi.encodePacked(mallory));
        assertEq(registry.getAgentWallet(agentId), alice);
    }

    function test_setMetadata_revertsWhenNotAuthorized() public {
        uint256 agentId = _register(alice);
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityNotAuthorized.selector, agentId, mallory));
        registry.setMetadata(agentId, "k", "v");
    }

    function test_setMetadata_authorizationCheckedBeforeReservedKey() public {
        uint256 agentId = _register(alice);
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityNotAuthorized.selector, agentId, mallory));
        registry.setMetadata(agentId, "agentWallet", "");
    }

    function test_setMetadata_revertsForNonexistentAgent() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 7));
        registry.setMetadata(7, "k", "v");
    }

    function test_getMetadata_unknownAgentAndKey() public view {
        assertEq(registry.getMetadata(123, "anything"), bytes(""));
        assertEq(registry.getMetadata(123, "agentWallet"), bytes(""));
    }

    function testFuzz_setMetadata_roundTrip(string calldata key, bytes calldata value) public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        if (_isReserved(key)) {
            vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityReservedKey.selector, key));
            registry.setMetadata(agentId, key, value);
            return;
        }
        vm.expectEmit(true, true, false, true, address(registry));
        emit MetadataSet(agentId, key, key, value);
        registry.setMetadata(agentId, key, value);
        assertEq(registry.getMetadata(agentId, key), value);
        assertEq(registry.getAgentWallet(agentId), alice, "agentWallet untouched");
    }

    /// Only the owner, an approved-for-all operator or the token-approved address may write.
    function testFuzz_authorization(address caller, uint8 role) public {
        vm.assume(caller != address(0) && caller != alice);
        uint256 agentId = _register(alice);
        role = role % 4; // 0 stranger, 1 operator, 2 token-approved, 3 operator of someone else
        if (role == 1) {
            vm.prank(alice);
            registry.setApprovalForAll(caller, true);
        } else if (role == 2) {
            vm.prank(alice);
            registry.approve(caller, agentId);
        } else if (role == 3) {
            vm.prank(bob);
            registry.setApprovalForAll(caller, true);
        }
        bool allowed = role == 1 || role == 2;
        assertEq(registry.isAuthorizedOrOwner(caller, agentId), allowed);

        bytes memory notAuthorized =
            abi.encodeWithSelector(IIdentityRegistry.IdentityNotAuthorized.selector, agentId, caller);
        vm.prank(caller);
        if (!allowed) vm.expectRevert(notAuthorized);
        registry.setMetadata(agentId, "k", "v");

        vm.prank(caller);
        if (!allowed) vm.expectRevert(notAuthorized);
        registry.setAgentURI(agentId, "ipfs://x");

        vm.prank(caller);
        if (!allowed) vm.expectRevert(notAuthorized);
        registry.unsetAgentWallet(agentId);

        assertEq(registry.getAgentWallet(agentId), allowed ? address(0) : alice);
    }

    // =================================================================================================================
    // setAgentWallet (EIP-712 / ERC-1271 proofs)
    // =================================================================================================================

    function test_setAgentWallet_EOA_byOwner() public {
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _proof(bobKey, agentId, alice, deadline);

        vm.recordLogs();
        vm.prank(alice);
        registry.setAgentWallet(agentId, bob, deadline, sig);

        assertEq(registry.getAgentWallet(agentId), bob);
        assertEq(registry.getMetadata(agentId, "agentWallet"), abi.encodePacked(bob));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].topics[0], TOPIC_METADATA_SET);
        assertEq(logs[0].topics[1], bytes32(agentId));
        assertEq(logs[0].topics[2], keccak256("agentWallet"));
        (string memory key, bytes memory value) = abi.decode(logs[0].data, (string, bytes));
        assertEq(key, "agentWallet");
        assertEq(value, abi.encodePacked(bob));
    }

    function test_setAgentWallet_EOA_byOperator() public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        registry.setApprovalForAll(bob, true);
        uint256 deadline = block.timestamp + 60;
        // The proof binds the OWNER (alice), not the operator submitting it.
        bytes memory sig = _proof(charlieKey, agentId, alice, deadline);
        vm.prank(bob);
        registry.setAgentWallet(agentId, charlie, deadline, sig);
        assertEq(registry.getAgentWallet(agentId), charlie);
    }

    function test_setAgentWallet_EOA_byApproved() public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        registry.approve(bob, agentId);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _proof(charlieKey, agentId, alice, deadline);
        vm.prank(bob);
        registry.setAgentWallet(agentId, charlie, deadline, sig);
        assertEq(registry.getAgentWallet(agentId), charlie);
    }

    function test_setAgentWallet_ERC1271() public {
        IdentityTestWallet1271 wallet = new IdentityTestWallet1271(charlie);
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 300;
        bytes memory sig = _sign(charlieKey, _digest(agentId, address(wallet), alice, deadline));

        vm.expectEmit(true, true, false, true, address(registry));
        emit MetadataSet(agentId, "agentWallet", "agentWallet", abi.encodePacked(address(wallet)));
        vm.prank(alice);
        registry.setAgentWallet(agentId, address(wallet), deadline, sig);
        assertEq(registry.getAgentWallet(agentId), address(wallet));
        assertEq(registry.getMetadata(agentId, "agentWallet"), abi.encodePacked(address(wallet)));
    }

    function test_setAgentWallet_ERC1271_rejectsWrongInnerSigner() public {
        IdentityTestWallet1271 wallet = new IdentityTestWallet1271(charlie);
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 300;
        bytes memory sig = _sign(bobKey, _digest(agentId, address(wallet), alice, deadline));
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidWalletSignature.selector, agentId, address(wallet))
        );
        registry.setAgentWallet(agentId, address(wallet), deadline, sig);
    }

    function test_setAgentWallet_ERC1271_failureModes() public {
        IdentityTestWallet1271 wallet = new IdentityTestWallet1271(charlie);
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 300;
        bytes memory sig = _sign(charlieKey, _digest(agentId, address(wallet), alice, deadline));
        bytes memory err =
            abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidWalletSignature.selector, agentId, address(wallet));
        IdentityTestWallet1271.Mode[3] memory modes = [
            IdentityTestWallet1271.Mode.WrongMagic,
            IdentityTestWallet1271.Mode.Reverts,
            IdentityTestWallet1271.Mode.ShortReturn
        ];
        for (uint256 i; i < modes.length; ++i) {
            wallet.setMode(modes[i]);
            vm.prank(alice);
            vm.expectRevert(err);
            registry.setAgentWallet(agentId, address(wallet), deadline, sig);
        }
        assertEq(registry.getAgentWallet(agentId), alice);
    }

    /// Like the canonical registry, ECDSA is tried first even if the wallet address has code (EIP-7702 accounts).
    function test_setAgentWallet_ECDSAAcceptedForAddressWithCode() public {
        uint256 agentId = _register(alice);
        // Give charlie's EOA address code that rejects every ERC-1271 query.
        IdentityTestWallet1271 rejecting = new IdentityTestWallet1271(address(0));
        rejecting.setMode(IdentityTestWallet1271.Mode.WrongMagic);
        vm.etch(charlie, address(rejecting).code);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _proof(charlieKey, agentId, alice, deadline);
        vm.prank(alice);
        registry.setAgentWallet(agentId, charlie, deadline, sig);
        assertEq(registry.getAgentWallet(agentId), charlie);
    }

    function test_setAgentWallet_revertsOnWrongSigner() public {
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _sign(bobKey, _digest(agentId, charlie, alice, deadline)); // bob signs for charlie
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidWalletSignature.selector, agentId, charlie)
        );
        registry.setAgentWallet(agentId, charlie, deadline, sig);
    }

    function test_setAgentWallet_revertsOnProofForAnotherAgent() public {
        uint256 a = _register(alice);
        uint256 b = _register(alice);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _proof(bobKey, a, alice, deadline);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidWalletSignature.selector, b, bob));
        registry.setAgentWallet(b, bob, deadline, sig);
    }

    function test_setAgentWallet_revertsOnProofForAnotherDeadline() public {
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _proof(bobKey, agentId, alice, deadline);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidWalletSignature.selector, agentId, bob));
        registry.setAgentWallet(agentId, bob, deadline + 1, sig);
    }

    function test_setAgentWallet_proofIsBoundToOwner() public {
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _proof(charlieKey, agentId, alice, deadline);
        vm.prank(alice);
        registry.transferFrom(alice, bob, agentId);
        // The new owner cannot reuse a proof made for the previous owner.
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidWalletSignature.selector, agentId, charlie)
        );
        registry.setAgentWallet(agentId, charlie, deadline, sig);
    }

    function test_setAgentWallet_revertsOnMalformedSignature() public {
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _proof(bobKey, agentId, alice, deadline);
        bytes memory short = new bytes(64);
        for (uint256 i; i < 64; ++i) {
            short[i] = sig[i];
        }
        bytes memory err =
            abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidWalletSignature.selector, agentId, bob);
        vm.startPrank(alice);
        vm.expectRevert(err);
        registry.setAgentWallet(agentId, bob, deadline, short);
        vm.expectRevert(err);
        registry.setAgentWallet(agentId, bob, deadline, "");
        vm.stopPrank();
    }

    function test_setAgentWallet_revertsOnExpiredDeadline() public {
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp - 1;
        bytes memory sig = _proof(bobKey, agentId, alice, deadline);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IIdentityRegistry.IdentityDeadlineExpired.selector, deadline, block.timestamp)
        );
        registry.setAgentWallet(agentId, bob, deadline, sig);
    }

    function test_setAgentWallet_revertsOnDeadlineTooFar() public {
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 5 minutes + 1;
        bytes memory sig = _proof(bobKey, agentId, alice, deadline);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IIdentityRegistry.IdentityDeadlineTooFar.selector, deadline, block.timestamp + 5 minutes
            )
        );
        registry.setAgentWallet(agentId, bob, deadline, sig);
    }

    function test_setAgentWallet_deadlineBoundariesInclusive() public {
        uint256 a = _register(alice);
        uint256 b = _register(alice);
        bytes memory sigNow = _proof(bobKey, a, alice, block.timestamp);
        bytes memory sigMax = _proof(charlieKey, b, alice, block.timestamp + 5 minutes);
        vm.startPrank(alice);
        registry.setAgentWallet(a, bob, block.timestamp, sigNow);
        registry.setAgentWallet(b, charlie, block.timestamp + 5 minutes, sigMax);
        vm.stopPrank();
        assertEq(registry.getAgentWallet(a), bob);
        assertEq(registry.getAgentWallet(b), charlie);
    }

    function testFuzz_setAgentWallet_deadlineWindow(uint256 deadline) public {
        uint256 agentId = _register(alice);
        bytes memory sig = _proof(bobKey, agentId, alice, deadline);
        vm.prank(alice);
        if (deadline < block.timestamp) {
            vm.expectRevert(
                abi.encodeWithSelector(IIdentityRegistry.IdentityDeadlineExpired.selector, deadline, block.timestamp)
            );
        } else if (deadline > block.timestamp + 300) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IIdentityRegistry.IdentityDeadlineTooFar.selector, deadline, block.timestamp + 300
                )
            );
        }
        registry.setAgentWallet(agentId, bob, deadline, sig);
        assertEq(
            registry.getAgentWallet(agentId),
            deadline >= block.timestamp && deadline <= block.timestamp + 300 ? bob : alice
        );
    }

    function testFuzz_setAgentWallet_EOA(uint256 walletKey, uint16 delay) public {
        walletKey = bound(walletKey, 1, SECP256K1_ORDER - 1);
        address wallet = vm.addr(walletKey);
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + (delay % 301);
        bytes memory sig = _proof(walletKey, agentId, alice, deadline);
        vm.prank(alice);
        registry.setAgentWallet(agentId, wallet, deadline, sig);
        assertEq(registry.getAgentWallet(agentId), wallet);
        assertEq(registry.getMetadata(agentId, "agentWallet"), abi.encodePacked(wallet));
    }

    function test_setAgentWallet_revertsOnZeroWallet() public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        vm.expectRevert(IIdentityRegistry.IdentityZeroWallet.selector);
        registry.setAgentWallet(agentId, address(0), block.timestamp + 60, "");
    }

    function test_setAgentWallet_revertsWhenNotAuthorized() public {
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _proof(bobKey, agentId, alice, deadline);
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityNotAuthorized.selector, agentId, mallory));
        registry.setAgentWallet(agentId, bob, deadline, sig);
        // Not even the wallet itself may submit its own proof unless authorised for the agent.
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityNotAuthorized.selector, agentId, bob));
        registry.setAgentWallet(agentId, bob, deadline, sig);
    }

    function test_setAgentWallet_revertsForNonexistentAgent() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 5));
        registry.setAgentWallet(5, bob, block.timestamp + 60, "");
    }

    function test_setAgentWallet_backToOwnerAfterExplicit() public {
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 60;
        vm.startPrank(alice);
        registry.setAgentWallet(agentId, bob, deadline, _proof(bobKey, agentId, alice, deadline));
        assertEq(registry.getAgentWallet(agentId), bob);
        registry.setAgentWallet(agentId, alice, deadline, _proof(aliceKey, agentId, alice, deadline));
        vm.stopPrank();
        assertEq(registry.getAgentWallet(agentId), alice);
        assertEq(registry.getMetadata(agentId, "agentWallet"), abi.encodePacked(alice));
        // After a transfer the owner-wallet is cleared, and the stale explicit wallet never resurfaces.
        vm.prank(alice);
        registry.transferFrom(alice, charlie, agentId);
        assertEq(registry.getAgentWallet(agentId), address(0));
        vm.prank(charlie);
        registry.setAgentWallet(agentId, charlie, deadline, _proof(charlieKey, agentId, charlie, deadline));
        assertEq(registry.getAgentWallet(agentId), charlie);
    }

    // =================================================================================================================
    // getAgentWallet / unsetAgentWallet
    // =================================================================================================================

    function test_getAgentWallet_unknownAgentIsZero() public view {
        assertEq(registry.getAgentWallet(999), address(0));
    }

    function test_unsetAgentWallet_byOwner() public {
        uint256 agentId = _register(alice);
        vm.expectEmit(true, true, false, true, address(registry));
        emit MetadataSet(agentId, "agentWallet", "agentWallet", "");
        vm.prank(alice);
        registry.unsetAgentWallet(agentId);
        assertEq(registry.getAgentWallet(agentId), address(0));
        assertEq(registry.getMetadata(agentId, "agentWallet"), bytes(""));
        // Idempotent, and still emits like the canonical registry.
        vm.expectEmit(true, true, false, true, address(registry));
        emit MetadataSet(agentId, "agentWallet", "agentWallet", "");
        vm.prank(alice);
        registry.unsetAgentWallet(agentId);
    }

    function test_unsetAgentWallet_clearsExplicitWallet() public {
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 60;
        vm.startPrank(alice);
        registry.setAgentWallet(agentId, bob, deadline, _proof(bobKey, agentId, alice, deadline));
        registry.unsetAgentWallet(agentId);
        vm.stopPrank();
        assertEq(registry.getAgentWallet(agentId), address(0));
        assertEq(registry.getMetadata(agentId, "agentWallet"), bytes(""));
    }

    function test_unsetAgentWallet_byOperatorAndApproved() public {
        uint256 a = _register(alice);
        uint256 b = _register(alice);
        vm.startPrank(alice);
        registry.setApprovalForAll(bob, true);
        registry.approve(charlie, b);
        vm.stopPrank();
        vm.prank(bob);
        registry.unsetAgentWallet(a);
        vm.prank(charlie);
        registry.unsetAgentWallet(b);
        assertEq(registry.getAgentWallet(a), address(0));
        assertEq(registry.getAgentWallet(b), address(0));
    }

    function test_unsetAgentWallet_revertsWhenNotAuthorized() public {
        uint256 agentId = _register(alice);
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IIdentityRegistry.IdentityNotAuthorized.selector, agentId, mallory));
        registry.unsetAgentWallet(agentId);
    }

    function test_unsetAgentWallet_revertsForNonexistentAgent() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 3));
        registry.unsetAgentWallet(3);
    }

    // =================================================================================================================
    // Transfers: agentWallet reset
    // =================================================================================================================

    function test_transferFrom_clearsAgentWalletBeforeTransferEvent() public {
        uint256 agentId = _register(alice, IPFS_URI_A);
        vm.recordLogs();
        vm.prank(alice);
        registry.transferFrom(alice, bob, agentId);

        assertEq(registry.ownerOf(agentId), bob);
        assertEq(registry.balanceOf(alice), 0);
        assertEq(registry.balanceOf(bob), 1);
        assertEq(registry.getAgentWallet(agentId), address(0));
        assertEq(registry.getMetadata(agentId, "agentWallet"), bytes(""));
        assertEq(registry.tokenURI(agentId), IPFS_URI_A, "URI survives the transfer");

        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2);
        assertEq(logs[0].topics[0], TOPIC_METADATA_SET);
        assertEq(logs[0].topics[2], keccak256("agentWallet"));
        (, bytes memory value) = abi.decode(logs[0].data, (string, bytes));
        assertEq(value.length, 0);
        assertEq(logs[1].topics[0], TOPIC_TRANSFER);
        assertEq(logs[1].topics[1], bytes32(uint256(uint160(alice))));
        assertEq(logs[1].topics[2], bytes32(uint256(uint160(bob))));
    }

    function test_transferFrom_clearsExplicitWallet() public {
        uint256 agentId = _register(alice);
        uint256 deadline = block.timestamp + 60;
        vm.startPrank(alice);
        registry.setAgentWallet(agentId, charlie, deadline, _proof(charlieKey, agentId, alice, deadline));
        registry.transferFrom(alice, bob, agentId);
        vm.stopPrank();
        assertEq(registry.getAgentWallet(agentId), address(0));
        assertEq(registry.getMetadata(agentId, "agentWallet"), bytes(""));
    }

    function test_transferFrom_selfTransferAlsoClears() public {
        // Canonical v2.0.0 clears on every transfer, including owner -> owner.
        uint256 agentId = _register(alice);
        vm.prank(alice);
        registry.transferFrom(alice, alice, agentId);
        assertEq(registry.ownerOf(agentId), alice);
        assertEq(registry.balanceOf(alice), 1);
        assertEq(registry.getAgentWallet(agentId), address(0));
    }

    function test_transferFrom_byOperatorAndApproved_clearsApproval() public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        registry.approve(charlie, agentId);
        vm.prank(charlie);
        registry.transferFrom(alice, bob, agentId);
        assertEq(registry.getApproved(agentId), address(0), "approval cleared");

        vm.prank(bob);
        registry.setApprovalForAll(charlie, true);
        vm.prank(charlie);
        registry.transferFrom(bob, alice, agentId);
        assertEq(registry.ownerOf(agentId), alice);
        assertEq(registry.getAgentWallet(agentId), address(0));
    }

    function test_transferFrom_revertsOnInsufficientApproval() public {
        uint256 agentId = _register(alice);
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InsufficientApproval.selector, mallory, agentId));
        registry.transferFrom(alice, mallory, agentId);
    }

    function test_transferFrom_revertsOnIncorrectOwner() public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721IncorrectOwner.selector, bob, agentId, alice));
        registry.transferFrom(bob, charlie, agentId);
    }

    function test_transferFrom_revertsForNonexistentAgent() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 9));
        registry.transferFrom(alice, bob, 9);
    }

    function test_transferFrom_revertsToZeroAddress() public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidReceiver.selector, address(0)));
        registry.transferFrom(alice, address(0), agentId);
    }

    function test_safeTransferFrom_toReceiver() public {
        IdentityTestReceiver receiver = new IdentityTestReceiver();
        uint256 a = _register(alice);
        uint256 b = _register(alice);
        vm.startPrank(alice);
        registry.safeTransferFrom(alice, address(receiver), a);
        assertEq(receiver.lastData(), bytes(""));
        registry.safeTransferFrom(alice, address(receiver), b, "hello");
        vm.stopPrank();
        assertEq(receiver.calls(), 2);
        assertEq(receiver.lastOperator(), alice);
        assertEq(receiver.lastFrom(), alice);
        assertEq(receiver.lastTokenId(), b);
        assertEq(receiver.lastData(), bytes("hello"));
        assertEq(registry.ownerOf(a), address(receiver));
        assertEq(registry.getAgentWallet(a), address(0));
        assertEq(registry.getAgentWallet(b), address(0));
    }

    function test_safeTransferFrom_revertsForNonReceiver() public {
        IdentityTestNonReceiver nonReceiver = new IdentityTestNonReceiver();
        uint256 agentId = _register(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidReceiver.selector, address(nonReceiver)));
        registry.safeTransferFrom(alice, address(nonReceiver), agentId);
        assertEq(registry.ownerOf(agentId), alice);
        assertEq(registry.getAgentWallet(agentId), alice);
    }

    function test_safeTransferFrom_toEOA() public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        registry.safeTransferFrom(alice, bob, agentId, "data");
        assertEq(registry.ownerOf(agentId), bob);
    }

    function testFuzz_transfer_alwaysClearsWallet(address to, bool explicitWallet) public {
        vm.assume(to != address(0) && to.code.length == 0);
        uint256 agentId = _register(alice);
        if (explicitWallet) {
            uint256 deadline = block.timestamp + 60;
            vm.prank(alice);
            registry.setAgentWallet(agentId, bob, deadline, _proof(bobKey, agentId, alice, deadline));
        }
        vm.prank(alice);
        registry.transferFrom(alice, to, agentId);
        assertEq(registry.ownerOf(agentId), to);
        assertEq(registry.getAgentWallet(agentId), address(0));
        assertEq(registry.getMetadata(agentId, "agentWallet"), bytes(""));
    }

    // =================================================================================================================
    // ERC-721 surface
    // =================================================================================================================

    function test_erc721_metadataAndInterfaces() public view {
        assertEq(registry.name(), "AgentIdentity");
        assertEq(registry.symbol(), "AGENT");
        assertTrue(registry.supportsInterface(0x01ffc9a7)); // ERC-165
        assertTrue(registry.supportsInterface(0x80ac58cd)); // ERC-721
        assertTrue(registry.supportsInterface(0x5b5e139f)); // ERC-721 Metadata
        assertTrue(registry.supportsInterface(0x49064906)); // ERC-4906
        assertFalse(registry.supportsInterface(0x780e9d63)); // ERC-721 Enumerable
        assertFalse(registry.supportsInterface(0xffffffff));
        assertEq(registry.getVersion(), "2.0.0");
    }

    function test_eip712Domain() public view {
        (
            bytes1 fields,
            string memory name_,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        ) = registry.eip712Domain();
        assertEq(fields, hex"0f");
        assertEq(name_, "ERC8004IdentityRegistry");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifyingContract, address(registry));
        assertEq(salt, bytes32(0));
        assertEq(extensions.length, 0);
        assertEq(registry.AGENT_WALLET_SET_TYPEHASH(), TYPEHASH);
        assertEq(registry.MAX_DEADLINE_DELAY(), 300);
    }

    function test_balanceOf_revertsForZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidOwner.selector, address(0)));
        registry.balanceOf(address(0));
    }

    function test_ownerOf_tokenURI_getApproved_revertForNonexistent() public {
        bytes memory err = abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 0);
        vm.expectRevert(err);
        registry.ownerOf(0);
        vm.expectRevert(err);
        registry.tokenURI(0);
        vm.expectRevert(err);
        registry.getApproved(0);
        vm.expectRevert(err);
        registry.isAuthorizedOrOwner(alice, 0);
        vm.expectRevert(err);
        registry.approve(bob, 0);
    }

    function test_approve_byOwnerAndOperator() public {
        uint256 agentId = _register(alice);
        vm.expectEmit(true, true, true, true, address(registry));
        emit Approval(alice, bob, agentId);
        vm.prank(alice);
        registry.approve(bob, agentId);
        assertEq(registry.getApproved(agentId), bob);

        vm.prank(alice);
        registry.setApprovalForAll(charlie, true);
        vm.expectEmit(true, true, true, true, address(registry));
        emit Approval(alice, mallory, agentId);
        vm.prank(charlie);
        registry.approve(mallory, agentId);
        assertEq(registry.getApproved(agentId), mallory);
    }

    function test_approve_revertsForNonOwner() public {
        uint256 agentId = _register(alice);
        vm.prank(alice);
        registry.approve(bob, agentId);
        // A token-approved address cannot re-approve (same rule as OpenZeppelin ERC721).
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidApprover.selector, bob));
        registry.approve(mallory, agentId);
    }

    function test_setApprovalForAll() public {
        vm.expectEmit(true, true, false, true, address(registry));
        emit ApprovalForAll(alice, bob, true);
        vm.prank(alice);
        registry.setApprovalForAll(bob, true);
        assertTrue(registry.isApprovedForAll(alice, bob));
        vm.prank(alice);
        registry.setApprovalForAll(bob, false);
        assertFalse(registry.isApprovedForAll(alice, bob));
    }

    function test_setApprovalForAll_revertsForZeroOperator() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InvalidOperator.selector, address(0)));
        registry.setApprovalForAll(address(0), true);
    }

    function test_isAuthorizedOrOwner() public {
        uint256 agentId = _register(alice);
        vm.startPrank(alice);
        registry.approve(bob, agentId);
        registry.setApprovalForAll(charlie, true);
        vm.stopPrank();
        assertTrue(registry.isAuthorizedOrOwner(alice, agentId));
        assertTrue(registry.isAuthorizedOrOwner(bob, agentId));
        assertTrue(registry.isAuthorizedOrOwner(charlie, agentId));
        assertFalse(registry.isAuthorizedOrOwner(mallory, agentId));
        assertFalse(registry.isAuthorizedOrOwner(address(0), agentId));
    }

    // =================================================================================================================
    // Canonical ABI: every ERC-8004 entry point answers to its canonical signature string
    // =================================================================================================================

    function test_abi_canonicalSignatures() public {
        address r = address(registry);
        vm.startPrank(alice);
        _ok(r, abi.encodeWithSignature("register()"));
        _ok(r, abi.encodeWithSignature("register(string)", "ipfs://x"));
        _ok(r, abi.encodeWithSignature("register(string,(string,bytes)[])", "ipfs://y", _entries("k", "v")));
        _ok(r, abi.encodeWithSignature("setAgentURI(uint256,string)", 0, "ipfs://z"));
        _ok(r, abi.encodeWithSignature("setMetadata(uint256,string,bytes)", 0, "k", hex"01"));
        uint256 deadline = block.timestamp + 60;
        _ok(
            r,
            abi.encodeWithSignature(
                "setAgentWallet(uint256,address,uint256,bytes)", 0, bob, deadline, _proof(bobKey, 0, alice, deadline)
            )
        );
        assertEq(abi.decode(_ok(r, abi.encodeWithSignature("getAgentWallet(uint256)", 0)), (address)), bob);
        assertEq(abi.decode(_ok(r, abi.encodeWithSignature("getMetadata(uint256,string)", 0, "k")), (bytes)), hex"01");
        _ok(r, abi.encodeWithSignature("unsetAgentWallet(uint256)", 0));
        assertTrue(
            abi.decode(_ok(r, abi.encodeWithSignature("isAuthorizedOrOwner(address,uint256)", alice, 0)), (bool))
        );
        assertEq(abi.decode(_ok(r, abi.encodeWithSignature("getVersion()")), (string)), "2.0.0");
        vm.stopPrank();
    }

    function _ok(address target, bytes memory data) private returns (bytes memory ret) {
        bool ok;
        (ok, ret) = target.call(data);
        assertTrue(ok, "canonical signature call failed");
    }

    // =================================================================================================================
    // Extras: totalAgents / agentsOf
    // =================================================================================================================

    function test_agentsOf_pagination() public {
        // ids: 0 alice, 1 bob, 2 alice, 3 alice, 4 bob, 5 alice
        address[6] memory owners = [alice, bob, alice, alice, bob, alice];
        for (uint256 i; i < owners.length; ++i) {
            _register(owners[i]);
        }
        assertEq(registry.totalAgents(), 6);

        (uint256[] memory ids, uint256 next) = registry.agentsOf(alice, 0, 3);
        assertEq(ids.length, 2);
        assertEq(ids[0], 0);
        assertEq(ids[1], 2);
        assertEq(next, 3);
        (ids, next) = registry.agentsOf(alice, next, 100);
        assertEq(ids.length, 2);
        assertEq(ids[0], 3);
        assertEq(ids[1], 5);
        assertEq(next, 6);
        (ids, next) = registry.agentsOf(alice, next, 100);
        assertEq(ids.length, 0);
        assertEq(next, 6);

        (ids, next) = registry.agentsOf(bob, 0, type(uint256).max);
        assertEq(ids.length, 2);
        assertEq(ids[0], 1);
        assertEq(ids[1], 4);
        assertEq(next, 6);

        (ids, next) = registry.agentsOf(charlie, 0, 0);
        assertEq(ids.length, 0);
        assertEq(next, 0);

        // Follows transfers.
        vm.prank(bob);
        registry.transferFrom(bob, charlie, 4);
        (ids,) = registry.agentsOf(charlie, 0, 10);
        assertEq(ids.length, 1);
        assertEq(ids[0], 4);
    }

    function testFuzz_agentsOf_matchesBalance(uint8 n, uint256 seed, uint8 page) public {
        n = uint8(bound(n, 0, 40));
        page = uint8(bound(page, 1, 50));
        address[3] memory who = [alice, bob, charlie];
        for (uint256 i; i < n; ++i) {
            _register(who[uint256(keccak256(abi.encode(seed, i))) % 3]);
        }
        for (uint256 w; w < 3; ++w) {
            uint256 found;
            uint256 cursor;
            uint256 last;
            while (cursor < registry.totalAgents()) {
                uint256[] memory ids;
                (ids, cursor) = registry.agentsOf(who[w], cursor, page);
                for (uint256 j; j < ids.length; ++j) {
                    assertEq(registry.ownerOf(ids[j]), who[w]);
                    if (found > 0) assertGt(ids[j], last);
                    last = ids[j];
                    found++;
                }
            }
            assertEq(found, registry.balanceOf(who[w]));
        }
    }

    // =================================================================================================================
    // Gas: the four benchmarked calls vs a canonical-footprint baseline behind an ERC1967 proxy
    // =================================================================================================================

    struct GasCase {
        string label;
        bytes ours;
        bytes base;
    }

    function test_gas_benchmarks() public {
        IdentityBaseline impl = new IdentityBaseline();
        // Any call satisfies the proxy's "must initialise" rule; the baseline needs no initialiser.
        address baseline = address(new ERC1967Proxy(address(impl), abi.encodeWithSignature("symbol()")));

        // Steady state: alice already owns an agent with a 66-char URI in both registries (non-first id and balance).
        vm.startPrank(alice);
        registry.register(IPFS_URI_A);
        IdentityBaseline(baseline).register(IPFS_URI_A);
        vm.stopPrank();
        assertEq(bytes(IPFS_URI_A).length, 66);

        IIdentityRegistry.MetadataEntry[] memory ours1 = _entries("agentName", "Machina Agent");
        IdentityBaseline.Entry[] memory base1 = new IdentityBaseline.Entry[](1);
        base1[0] = IdentityBaseline.Entry("agentName", "Machina Agent");

        GasCase[4] memory cases = [
            GasCase("register()", abi.encodeWithSignature("register()"), abi.encodeWithSignature("register()")),
            GasCase(
                "register(66-char ipfs URI)",
                abi.encodeWithSignature("register(string)", IPFS_URI_A),
                abi.encodeWithSignature("register(string)", IPFS_URI_A)
            ),
            GasCase(
                "register(URI, 1 metadata entry)",
                abi.encodeWithSignature("register(string,(string,bytes)[])", IPFS_URI_A, ours1),
                abi.encodeWithSignature("register(string,(string,bytes)[])", IPFS_URI_A, base1)
            ),
            GasCase(
                "setAgentURI(66-char -> 66-char)",
                abi.encodeWithSignature("setAgentURI(uint256,string)", 0, IPFS_URI_B),
                abi.encodeWithSignature("setAgentURI(uint256,string)", 0, IPFS_URI_B)
            )
        ];

        for (uint256 i; i < cases.length; ++i) {
            uint256 oursTx = _txGas(address(registry), address(0), alice, cases[i].ours);
            uint256 baseTx = _txGas(baseline, address(impl), alice, cases[i].base);
            console2.log(cases[i].label);
            console2.log("  ours exec gas (forge)  ", oursTx - 21_000 - _calldataGas(cases[i].ours));
            console2.log("  ours tx gas (est.)     ", oursTx);
            console2.log("  baseline tx gas (est.) ", baseTx);
            console2.log("  saving (bps)           ", (baseTx - oursTx) * 10_000 / baseTx);
            assertLe(oursTx * 100, baseTx * 80, "at least 20% below the canonical footprint");
        }
        assertEq(registry.tokenURI(0), IPFS_URI_B);
    }

    /// The exact call sequence of the repository's `bench/gas.ts` (every call from a never-seen account, a bafkrei
    /// URI, metadata {version: "1.0.0"}, setAgentURI changing only the URI's last character), run against our
    /// registry and against the canonical-footprint baseline, next to the figures quoted for the canonical deployment.
    /// NOTE: the quoted figures do not all come from this call sequence: with fresh accounts the canonical footprint
    /// costs ~104k for register() (90k matches an owner that already has an agent, see `test_gas_benchmarks`), and a
    /// last-character setAgentURI costs ~44k (50k matches rewriting the whole CID, see `test_gas_benchmarks`).
    /// Asserted here: a regression guard of >= 15% below the baseline on the same calls.
    function test_gas_benchScenario() public {
        string memory uri = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
        string memory uri2 = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52za";
        IdentityBaseline impl = new IdentityBaseline();
        address baseline = address(new ERC1967Proxy(address(impl), abi.encodeWithSignature("symbol()")));
        // One agent exists already in both.
        _register(alice);
        vm.prank(alice);
        IdentityBaseline(baseline).register();

        IIdentityRegistry.MetadataEntry[] memory ours1 = _entries("version", "1.0.0");
        IdentityBaseline.Entry[] memory base1 = new IdentityBaseline.Entry[](1);
        base1[0] = IdentityBaseline.Entry("version", "1.0.0");

        string[4] memory labels =
            ["register()", "register(66-char ipfs URI)", "register(URI, 1 metadata entry)", "setAgentURI"];
        uint256[4] memory quoted = [uint256(90_000), 201_000, 214_000, 50_000];
        bytes[4] memory oursCalls = [
            abi.encodeWithSignature("register()"),
            abi.encodeWithSignature("register(string)", uri),
            abi.encodeWithSignature("register(string,(string,bytes)[])", uri, ours1),
            abi.encodeWithSignature("setAgentURI(uint256,string)", 3, uri2)
        ];
        bytes[4] memory baseCalls = [
            abi.encodeWithSignature("register()"),
            abi.encodeWithSignature("register(string)", uri),
            abi.encodeWithSignature("register(string,(string,bytes)[])", uri, base1),
            abi.encodeWithSignature("setAgentURI(uint256,string)", 3, uri2)
        ];
        for (uint256 i; i < 4; ++i) {
            // A fresh account per registration; the last one also owns agent 3 and updates its URI.
            address from = i < 3 ? makeAddr(string.concat("fresh", vm.toString(i))) : makeAddr("fresh2");
            uint256 oursTx = _txGas(address(registry), address(0), from, oursCalls[i]);
            uint256 baseTx = _txGas(baseline, address(impl), from, baseCalls[i]);
            console2.log(labels[i]);
            console2.log("  ours tx gas (est.)           ", oursTx);
            console2.log("  baseline, same calls (est.)  ", baseTx);
            console2.log("  saving vs baseline (bps)     ", (baseTx - oursTx) * 10_000 / baseTx);
            console2.log("  figure quoted for canonical  ", quoted[i]);
            assertLe(oursTx * 100, baseTx * 85, "regression: less than 15% below the canonical footprint");
        }
        assertEq(registry.tokenURI(3), uri2);
    }

    /// Informational figures (not asserted): first registrations by brand-new owners (fresh balance slot), and a
    /// same-length rewrite of a raw (non-ipfs) 66-byte URI.
    function test_gas_informational() public {
        _register(mallory); // not the first id ever
        uint256 g1 = _txGas(address(registry), address(0), bob, abi.encodeWithSignature("register()"));
        uint256 g2 =
            _txGas(address(registry), address(0), charlie, abi.encodeWithSignature("register(string)", IPFS_URI_A));
        console2.log("register() by a new owner, tx gas (est.)            ", g1);
        console2.log("register(66-char ipfs) by a new owner, tx gas (est.)", g2);

        string memory rawA = string.concat("https://agents.example.org/", IdentityStrings.printable(39, 1));
        string memory rawB = string.concat("https://agents.example.org/", IdentityStrings.printable(39, 2));
        assertEq(bytes(rawA).length, 66);
        uint256 agentId = _register(alice, rawA);
        uint256 g3 = _txGas(
            address(registry), address(0), alice, abi.encodeWithSignature("setAgentURI(uint256,string)", agentId, rawB)
        );
        console2.log("setAgentURI(raw 66-byte -> raw 66-byte), tx gas (est.)", g3);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _proof(bobKey, agentId, alice, deadline);
        uint256 g4 = _txGas(
            address(registry),
            address(0),
            alice,
            abi.encodeWithSignature("setAgentWallet(uint256,address,uint256,bytes)", agentId, bob, deadline, sig)
        );
        console2.log("setAgentWallet(EOA proof), tx gas (est.)              ", g4);
        uint256 g5 = _txGas(
            address(registry),
            address(0),
            alice,
            abi.encodeWithSignature("transferFrom(address,address,uint256)", alice, charlie, agentId)
        );
        console2.log("transferFrom (clears agentWallet), tx gas (est.)      ", g5);
        uint256 g6 = _txGas(
            address(registry),
            address(0),
            charlie,
            abi.encodeWithSignature("setMetadata(uint256,string,bytes)", agentId, "agentName", bytes("Machina Agent"))
        );
        console2.log("setMetadata (new short key), tx gas (est.)            ", g6);
    }

    /// @dev Estimated full transaction gas of `from` calling `target` with `data` in a fresh transaction:
    ///      21000 + calldata (4/16 per zero/non-zero byte) + execution gas with the touched contracts' storage cold.
    function _txGas(address target, address alsoCool, address from, bytes memory data) private returns (uint256) {
        vm.cool(target);
        if (alsoCool != address(0)) vm.cool(alsoCool);
        from.code.length; // the transaction sender is warm in a real transaction
        vm.prank(from);
        (bool ok,) = target.call(data);
        assertTrue(ok, "benchmarked call failed");
        return 21_000 + _calldataGas(data) + vm.lastCallGas().gasTotalUsed;
    }

    function _calldataGas(bytes memory data) private pure returns (uint256 gas) {
        for (uint256 i; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }
}
