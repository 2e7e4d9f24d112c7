// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {IdentityRegistry} from "../../../src/identity/IdentityRegistry.sol";
import {IIdentityRegistry} from "../../../src/identity/interfaces/IIdentityRegistry.sol";
import {IdentityStrings} from "./IdentityStrings.sol";

/// @dev Shared fixtures and helpers for the IdentityRegistry tests.
abstract contract IdentityTestBase is Test {
    // Re-declared events for vm.expectEmit.
    event Registered(uint256 indexed agentId, string agentURI, address indexed owner);
    event MetadataSet(
        uint256 indexed agentId, string indexed indexedMetadataKey, string metadataKey, bytes metadataValue
    );
    event URIUpdated(uint256 indexed agentId, string newURI, address indexed updatedBy);
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);
    event MetadataUpdate(uint256 _tokenId);

    bytes32 internal constant TYPEHASH =
        keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)");
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    // Canonical event topics, spelled out so a signature drift is caught.
    bytes32 internal constant TOPIC_REGISTERED = keccak256("Registered(uint256,string,address)");
    bytes32 internal constant TOPIC_METADATA_SET = keccak256("MetadataSet(uint256,string,string,bytes)");
    bytes32 internal constant TOPIC_URI_UPDATED = keccak256("URIUpdated(uint256,string,address)");
    bytes32 internal constant TOPIC_TRANSFER = keccak256("Transfer(address,address,uint256)");
    bytes32 internal constant TOPIC_METADATA_UPDATE = keccak256("MetadataUpdate(uint256)");

    /// 66 characters: "ipfs://" + a 59-character CIDv1.
    string internal constant IPFS_URI_A = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";
    string internal constant IPFS_URI_B = "ipfs://bafybeihkoviema7g3gxyt6la7vd5ho32ictqbilu3wnlo3rs7ewhnp7lly";

    IdentityRegistry internal registry;

    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;
    address internal charlie;
    uint256 internal charlieKey;
    address internal mallory;

    function setUp() public virtual {
        registry = new IdentityRegistry();
        (alice, aliceKey) = makeAddrAndKey("alice");
        (bob, bobKey) = makeAddrAndKey("bob");
        (charlie, charlieKey) = makeAddrAndKey("charlie");
        mallory = makeAddr("mallory");
        vm.warp(1_750_000_000);
    }

    // ------------------------------------------------------------------ helpers

    function _register(address owner) internal returns (uint256 agentId) {
        vm.prank(owner);
        agentId = registry.register();
    }

    function _register(address owner, string memory uri) internal returns (uint256 agentId) {
        vm.prank(owner);
        agentId = registry.register(uri);
    }

    function _domainSeparator() internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                DOMAIN_TYPEHASH, keccak256("ERC8004IdentityRegistry"), keccak256("1"), block.chainid, address(registry)
            )
        );
    }

    function _digest(uint256 agentId, address wallet, address owner, uint256 deadline) internal view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(TYPEHASH, agentId, wallet, owner, deadline));
        return keccak256(abi.encodePacked("\x19\x01", _domainSeparator(), structHash));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _proof(uint256 walletKey, uint256 agentId, address owner, uint256 deadline)
        internal
        view
        returns (bytes memory)
    {
        return _sign(walletKey, _digest(agentId, vm.addr(walletKey), owner, deadline));
    }

    function _entries(string memory key, bytes memory value)
        internal
        pure
        returns (IIdentityRegistry.MetadataEntry[] memory entries)
    {
        entries = new IIdentityRegistry.MetadataEntry[](1);
        entries[0] = IIdentityRegistry.MetadataEntry(key, value);
    }

    /// @dev Deterministic pseudo-random string of `length` printable bytes.
    function _makeString(uint256 length, uint256 seed) internal pure returns (string memory) {
        return IdentityStrings.printable(length, seed);
    }

    function _isReserved(string memory key) internal pure returns (bool) {
        return keccak256(bytes(key)) == keccak256("agentWallet");
    }
}
