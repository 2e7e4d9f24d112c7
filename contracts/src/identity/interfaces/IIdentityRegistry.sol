// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";

/// @title IIdentityRegistry
/// @notice ERC-8004 "Trustless Agents" Identity Registry (January 2026 revision), plus Machina's read-only extras.
/// @dev Every function and event of the ERC-8004 surface keeps the exact signature of the canonical
///      `IdentityRegistryUpgradeable` (v2.0.0), so explorers, indexers and SDKs written for the canonical registry work
///      unchanged. Agents are ERC-721 tokens: `agentId` is the `tokenId` and `agentURI` is the `tokenURI`.
interface IIdentityRegistry is IERC721Metadata {
    /// @notice One on-chain metadata entry passed to `register(string,(string,bytes)[])`.
    struct MetadataEntry {
        string metadataKey;
        bytes metadataValue;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Events (ERC-8004)
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice A new agent was minted to `owner`.
    event Registered(uint256 indexed agentId, string agentURI, address indexed owner);

    /// @notice An on-chain metadata entry changed. Also emitted for the reserved `agentWallet` key: at registration
    ///         (value = 20-byte owner address), on `setAgentWallet` (20-byte wallet), and with an empty value on
    ///         `unsetAgentWallet` and on every transfer.
    event MetadataSet(
        uint256 indexed agentId, string indexed indexedMetadataKey, string metadataKey, bytes metadataValue
    );

    /// @notice The agent URI (ERC-721 tokenURI) was replaced by `updatedBy`.
    event URIUpdated(uint256 indexed agentId, string newURI, address indexed updatedBy);

    // ---------------------------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice `caller` is neither the owner, an approved-for-all operator, nor the token-approved address of `agentId`.
    error IdentityNotAuthorized(uint256 agentId, address caller);

    /// @notice `key` is reserved (`agentWallet`) and can only change through `setAgentWallet` / `unsetAgentWallet`.
    error IdentityReservedKey(string key);

    /// @notice `setAgentWallet` was called with the zero address as the new wallet.
    error IdentityZeroWallet();

    /// @notice The wallet proof's `deadline` is before the current block timestamp.
    error IdentityDeadlineExpired(uint256 deadline, uint256 timestamp);

    /// @notice The wallet proof's `deadline` is more than `MAX_DEADLINE_DELAY` (5 minutes) after the block timestamp.
    error IdentityDeadlineTooFar(uint256 deadline, uint256 maxDeadline);

    /// @notice `signature` is not a valid EIP-712 (ECDSA) or ERC-1271 proof from `wallet` for this agent and owner.
    error IdentityInvalidWalletSignature(uint256 agentId, address wallet);

    // ---------------------------------------------------------------------------------------------------------------
    // Registration (ERC-8004)
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice Mints a new agent to the caller with an empty agentURI; agentWallet starts as the caller.
    /// @return agentId The new agent's id (sequential, starting at 0).
    function register() external returns (uint256 agentId);

    /// @notice Mints a new agent to the caller with `agentURI`; agentWallet starts as the caller.
    /// @param agentURI URI of the agent registration file (ipfs://, https://, data:...).
    /// @return agentId The new agent's id.
    function register(string calldata agentURI) external returns (uint256 agentId);

    /// @notice Mints a new agent to the caller with `agentURI` and extra on-chain metadata.
    /// @dev Reverts with `IdentityReservedKey` if an entry uses the reserved `agentWallet` key.
    /// @param agentURI URI of the agent registration file.
    /// @param metadata Entries to store; one `MetadataSet` event is emitted per entry.
    /// @return agentId The new agent's id.
    function register(string calldata agentURI, MetadataEntry[] calldata metadata) external returns (uint256 agentId);

    // ---------------------------------------------------------------------------------------------------------------
    // Agent URI and metadata (ERC-8004)
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice Replaces the agentURI of `agentId`. Owner, approved-for-all operator or token-approved address only.
    /// @param agentId The agent.
    /// @param newURI The new registration-file URI.
    function setAgentURI(uint256 agentId, string calldata newURI) external;

    /// @notice Reads an on-chain metadata value; empty if unset. For `agentWallet` returns the 20-byte packed wallet,
    ///         or empty bytes when no wallet is set.
    /// @param agentId The agent (no existence check, like the canonical registry).
    /// @param metadataKey The key.
    /// @return The stored value.
    function getMetadata(uint256 agentId, string calldata metadataKey) external view returns (bytes memory);

    /// @notice Stores an on-chain metadata value. Owner, approved-for-all operator or token-approved address only.
    /// @dev Reverts with `IdentityReservedKey` for `agentWallet`.
    /// @param agentId The agent.
    /// @param metadataKey The key.
    /// @param metadataValue The value (any bytes; empty clears it).
    function setMetadata(uint256 agentId, string calldata metadataKey, bytes calldata metadataValue) external;

    // ---------------------------------------------------------------------------------------------------------------
    // Agent wallet (ERC-8004)
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice Sets the agent's payment wallet to `newWallet`, which must prove control by signing the EIP-712 message
    ///         `AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)` in the domain
    ///         ("ERC8004IdentityRegistry", "1", chainid, this registry) — ECDSA for EOAs (incl. EIP-7702 accounts),
    ///         ERC-1271 for contract wallets. Owner, approved-for-all operator or token-approved address only.
    /// @param agentId The agent.
    /// @param newWallet The wallet to set (non-zero).
    /// @param deadline Proof expiry; must satisfy `block.timestamp <= deadline <= block.timestamp + 5 minutes`.
    /// @param signature The proof signed by `newWallet`.
    function setAgentWallet(uint256 agentId, address newWallet, uint256 deadline, bytes calldata signature) external;

    /// @notice The agent's payment wallet: the owner after registration, a proven wallet after `setAgentWallet`, and
    ///         the zero address after `unsetAgentWallet` or any transfer (or for an unknown agent).
    /// @param agentId The agent.
    /// @return The wallet, or address(0).
    function getAgentWallet(uint256 agentId) external view returns (address);

    /// @notice Clears the agent's payment wallet (sets it to the zero address).
    ///         Owner, approved-for-all operator or token-approved address only.
    /// @param agentId The agent.
    function unsetAgentWallet(uint256 agentId) external;

    // ---------------------------------------------------------------------------------------------------------------
    // Helpers of the canonical registry
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice Whether `spender` is the owner, an approved-for-all operator or the token-approved address of `agentId`.
    /// @dev Reverts with `ERC721NonexistentToken` for an unknown agent.
    /// @param spender The address to check.
    /// @param agentId The agent.
    /// @return True if authorised.
    function isAuthorizedOrOwner(address spender, uint256 agentId) external view returns (bool);

    /// @notice Version of the canonical ERC-8004 IdentityRegistry whose ABI and behaviour this contract implements.
    /// @return The version string.
    function getVersion() external pure returns (string memory);

    // ---------------------------------------------------------------------------------------------------------------
    // Machina extras (read-only; add no gas to any write path)
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice Number of agents ever registered. Agents cannot be burned, so ids `0 .. totalAgents()-1` all exist.
    /// @return The count (also the id the next registration will receive).
    function totalAgents() external view returns (uint256);

    /// @notice Lists the agents owned by `owner` among ids `[cursor, cursor + scanLimit)` (clamped to `totalAgents()`).
    /// @dev Bounded scan meant for `eth_call`: page through all agents by feeding `nextCursor` back until it equals
    ///      `totalAgents()`. `balanceOf(owner)` tells how many ids to expect in total.
    /// @param owner The owner to look for.
    /// @param cursor First agent id to scan.
    /// @param scanLimit Maximum number of ids to scan in this call.
    /// @return agentIds The matching ids, ascending.
    /// @return nextCursor The id to continue from.
    function agentsOf(address owner, uint256 cursor, uint256 scanLimit)
        external
        view
        returns (uint256[] memory agentIds, uint256 nextCursor);
}
