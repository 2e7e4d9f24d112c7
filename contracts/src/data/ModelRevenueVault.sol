// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";

import {IIdentityRegistry} from "../identity/interfaces/IIdentityRegistry.sol";
import {IDataMarket, IModelRevenueVault} from "./interfaces/IDataMarket.sol";

/// @title ModelRevenueVault
/// @notice Per-model revenue vault, an EIP-1167 clone made by the DataMarket (salt = the model's weights digest).
///         It registers and owns the model's ERC-8004 serving agent, so the agent's wallet is this vault and x402
///         payments to the agent land here; only the market moves them out (`routeRevenue` → `pull`). The model's
///         beneficiary (read from the market) may update the agent's registration URI.
/// @dev The implementation is deployed by the market and locked in its constructor; `market` is an immutable of the
///      implementation's code, so every clone answers to the same market.
contract ModelRevenueVault is IModelRevenueVault, IERC721Receiver {
    using SafeERC20 for IERC20;

    /// @inheritdoc IModelRevenueVault
    address public immutable market;
    /// @notice The settlement token the revenue is paid in.
    IERC20 public immutable token;
    /// @notice The ERC-8004 identity registry of the serving agent.
    IIdentityRegistry public immutable identityRegistry;

    /// @inheritdoc IModelRevenueVault
    bytes32 public weightsDigest; // non-zero once initialized (a model's digest is never 0)
    /// @inheritdoc IModelRevenueVault
    uint256 public agentId;

    /// @param market_ The DataMarket (the deployer, in practice).
    /// @param token_ The settlement token (the same for every vault of the market).
    /// @param identityRegistry_ The identity registry (the same for every vault of the market).
    constructor(address market_, address token_, address identityRegistry_) {
        market = market_;
        token = IERC20(token_);
        identityRegistry = IIdentityRegistry(identityRegistry_);
        weightsDigest = bytes32(uint256(1)); // the implementation itself is never used as a vault
    }

    /// @inheritdoc IModelRevenueVault
    /// @dev Market only, once; reverts `NotMarket` / `AlreadyInitialized`. The token and registry are immutables of
    ///      the implementation (the market passes the same ones); the agent is registered with `identityRegistry_`.
    function initialize(bytes32 weightsDigest_, address, address identityRegistry_, string calldata agentURI)
        external
        returns (uint256 id)
    {
        if (msg.sender != market) revert NotMarket(msg.sender);
        if (weightsDigest != bytes32(0)) revert AlreadyInitialized();
        weightsDigest = weightsDigest_;
        id = IIdentityRegistry(identityRegistry_).register(agentURI);
        agentId = id;
    }

    /// @inheritdoc IModelRevenueVault
    function pull(uint256 amount) external {
        if (msg.sender != market) revert NotMarket(msg.sender);
        token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IModelRevenueVault
    /// @dev The beneficiary is read from the market's `getModelRoyalty`; forwards to the registry's `setAgentURI`.
    function setAgentURI(string calldata uri) external {
        if (msg.sender != IDataMarket(market).getModelRoyalty(weightsDigest).beneficiary) {
            revert NotBeneficiary(msg.sender);
        }
        uint256 id = agentId;
        identityRegistry.setAgentURI(id, uri);
        emit AgentURISet(id, uri);
    }

    /// @notice Accepts the serving agent minted to this vault at `initialize` (and any other ERC-721).
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return IERC721Receiver.onERC721Received.selector;
    }
}
