// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

/// @dev TEST-ONLY gas baseline. Reproduces the storage/event footprint of the canonical ERC-8004 registry's hot paths
///      (OpenZeppelin ERC721URIStorage + `_safeMint`, the agentWallet kept as a 20-byte metadata value, a sequential
///      id counter) so our registry can be compared call-for-call inside forge. Deployed behind an ERC1967Proxy in the
///      tests, like the canonical deployment. Only the four benchmarked calls are implemented.
contract IdentityBaseline is ERC721URIStorage {
    struct Entry {
        string metadataKey;
        bytes metadataValue;
    }

    event Registered(uint256 indexed agentId, string agentURI, address indexed owner);
    event MetadataSet(
        uint256 indexed agentId, string indexed indexedMetadataKey, string metadataKey, bytes metadataValue
    );
    event URIUpdated(uint256 indexed agentId, string newURI, address indexed updatedBy);

    uint256 private _counter;
    mapping(uint256 => mapping(string => bytes)) private _meta;

    constructor() ERC721("AgentIdentity", "AGENT") {}

    function register() external returns (uint256 id) {
        id = _counter++;
        _meta[id]["agentWallet"] = abi.encodePacked(msg.sender);
        _safeMint(msg.sender, id);
        emit Registered(id, "", msg.sender);
        emit MetadataSet(id, "agentWallet", "agentWallet", abi.encodePacked(msg.sender));
    }

    function register(string memory uri) external returns (uint256 id) {
        id = _counter++;
        _meta[id]["agentWallet"] = abi.encodePacked(msg.sender);
        _safeMint(msg.sender, id);
        _setTokenURI(id, uri);
        emit Registered(id, uri, msg.sender);
        emit MetadataSet(id, "agentWallet", "agentWallet", abi.encodePacked(msg.sender));
    }

    function register(string memory uri, Entry[] memory entries) external returns (uint256 id) {
        id = _counter++;
        _meta[id]["agentWallet"] = abi.encodePacked(msg.sender);
        _safeMint(msg.sender, id);
        _setTokenURI(id, uri);
        emit Registered(id, uri, msg.sender);
        emit MetadataSet(id, "agentWallet", "agentWallet", abi.encodePacked(msg.sender));
        for (uint256 i; i < entries.length; i++) {
            require(keccak256(bytes(entries[i].metadataKey)) != keccak256("agentWallet"), "reserved key");
            _meta[id][entries[i].metadataKey] = entries[i].metadataValue;
            emit MetadataSet(id, entries[i].metadataKey, entries[i].metadataKey, entries[i].metadataValue);
        }
    }

    function setAgentURI(uint256 id, string calldata uri) external {
        address owner = ownerOf(id);
        require(
            msg.sender == owner || isApprovedForAll(owner, msg.sender) || msg.sender == getApproved(id),
            "Not authorized"
        );
        _setTokenURI(id, uri);
        emit URIUpdated(id, uri, msg.sender);
    }
}
