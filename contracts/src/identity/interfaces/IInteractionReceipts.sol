// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IAgentRegistryView
/// @notice The slice of an ERC-8004 identity registry (an ERC-721) that the reputation and validation
///         registries read: who owns an agent and who may act for it.
/// @dev Declared here so that these contracts do not depend on the identity registry's own source file.
interface IAgentRegistryView {
    /// @notice Owner of `agentId`; reverts for an agent that does not exist (ERC-721 `ownerOf`).
    function ownerOf(uint256 agentId) external view returns (address);

    /// @notice Address approved for `agentId` alone, or zero (ERC-721 `getApproved`).
    function getApproved(uint256 agentId) external view returns (address);

    /// @notice Whether `operator` may manage every agent of `owner` (ERC-721 `isApprovedForAll`).
    function isApprovedForAll(address owner, address operator) external view returns (bool);
}

/// @title IAgentWalletView
/// @notice Identity registry views plus the ERC-8004 (January 2026) reserved `agentWallet`: the verified
///         address where an agent receives payments. Zero after a transfer, until the new owner verifies one.
interface IAgentWalletView is IAgentRegistryView {
    /// @notice The agent's verified payment wallet, or zero if none is set.
    function getAgentWallet(uint256 agentId) external view returns (address);
}

/// @title IInteractionReceipts
/// @notice A source of on-chain proof that a client interacted with (paid, hired, used) an agent. Settlement
///         contracts (native payments, x402, compute market) implement it; the reputation registry accepts a
///         receipt from an allow-listed source as the backing of one "verified" feedback.
interface IInteractionReceipts {
    /// @notice One settled interaction.
    /// @param client    Who paid / used the agent, the only address whose feedback the receipt can back.
    /// @param agentId   The agent (ERC-8004 identity registry token id) that was paid / used.
    /// @param asset     The asset settled, `address(0)` for the chain's native token.
    /// @param amount    Amount settled, in the asset's base units.
    /// @param settledAt Settlement timestamp; zero means "no such receipt".
    struct InteractionReceipt {
        address client;
        uint256 agentId;
        address asset;
        uint256 amount;
        uint64 settledAt;
    }

    /// @notice The receipt with id `receiptId`; every field is zero if it does not exist (never reverts for
    ///         an unknown id).
    function interactionReceipt(bytes32 receiptId) external view returns (InteractionReceipt memory receipt);
}
