// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice Test-only ERC-8004 identity registry stand-in: an ERC-721 with open minting and an agent wallet
///         that defaults to the owner (as the Jan 2026 spec does at registration) and can be overridden.
contract RepIdentityStandIn is ERC721 {
    uint256 public nextId;
    mapping(uint256 => address) private _wallet;
    mapping(uint256 => bool) private _walletSet;

    constructor() ERC721("Agent", "AGENT") {}

    function register() external returns (uint256 agentId) {
        agentId = nextId++;
        _mint(msg.sender, agentId);
    }

    function mintTo(address to, uint256 agentId) external {
        _mint(to, agentId);
    }

    /// @dev Test hook: override the agent wallet (zero = unset).
    function setAgentWallet(uint256 agentId, address wallet) external {
        _wallet[agentId] = wallet;
        _walletSet[agentId] = true;
    }

    function getAgentWallet(uint256 agentId) external view returns (address) {
        address owner = _requireOwned(agentId);
        return _walletSet[agentId] ? _wallet[agentId] : owner;
    }
}
