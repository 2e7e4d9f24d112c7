// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAgentWalletView, IInteractionReceipts} from "../identity/interfaces/IInteractionReceipts.sol";

/// @title PaymentReceipts
/// @notice Pays an ERC-8004 agent in the chain's native token and keeps an on-chain receipt of it, which the
///         reputation registry accepts as proof of interaction for one verified feedback.
/// @dev The payment goes straight to the agent's verified wallet (`getAgentWallet`), or to its owner while no
///      wallet is set (ERC-8004 clears the wallet on transfer). The contract never holds funds: it has no
///      `receive`/`fallback`, and `pay` forwards exactly `msg.value` or reverts.
contract PaymentReceipts is IInteractionReceipts, ReentrancyGuardTransient {
    /// @dev A stored receipt: 20 + 8 bytes in slot 0, then agent id and amount. The asset is always native.
    struct StoredReceipt {
        address client;
        uint64 settledAt;
        uint256 agentId;
        uint256 amount;
    }

    /// @notice A client paid `amount` of native token to agent `agentId`; `receiptId` identifies the receipt.
    event PaymentSettled(
        bytes32 indexed receiptId, uint256 indexed agentId, address indexed client, uint256 amount, bytes32 memo
    );

    /// @notice The identity registry address was zero.
    error ZeroAddress();
    /// @notice `pay` was called without value.
    error ZeroPayment();
    /// @notice The identity registry has no agent `agentId`.
    error AgentNotFound(uint256 agentId);
    /// @notice Sending `amount` to `payee` failed (the payee reverted or cannot receive native token).
    error PaymentForwardFailed(address payee, uint256 amount);

    IAgentWalletView private immutable _identityRegistry;

    /// @notice Number of payments made so far; the next receipt id is derived from it.
    uint256 public paymentCount;

    mapping(bytes32 receiptId => StoredReceipt) private _receipts;

    /// @param identityRegistry_ The ERC-8004 identity registry resolving agents to their wallet and owner.
    constructor(address identityRegistry_) {
        if (identityRegistry_ == address(0)) revert ZeroAddress();
        _identityRegistry = IAgentWalletView(identityRegistry_);
    }

    /// @notice Pay agent `agentId` the attached native token and record a receipt for the caller.
    /// @param agentId The agent to pay.
    /// @param memo    Free 32 bytes for the payer (order id, hash of a request…), only emitted.
    /// @return receiptId `keccak256(abi.encode(block.chainid, address(this), n))` for the n-th payment (0-based):
    ///         unique across payments, chains and deployments.
    function pay(uint256 agentId, bytes32 memo) external payable nonReentrant returns (bytes32 receiptId) {
        if (msg.value == 0) revert ZeroPayment();
        address payee = payeeOf(agentId);

        receiptId = receiptIdFor(paymentCount++);
        _receipts[receiptId] = StoredReceipt({
            client: msg.sender, settledAt: uint64(block.timestamp), agentId: agentId, amount: msg.value
        });
        emit PaymentSettled(receiptId, agentId, msg.sender, msg.value, memo);

        (bool ok,) = payee.call{value: msg.value}("");
        if (!ok) revert PaymentForwardFailed(payee, msg.value);
    }

    /// @notice Where a payment to `agentId` goes: its verified agent wallet, or its owner if none is set.
    ///         Reverts with `AgentNotFound` for an unknown agent.
    function payeeOf(uint256 agentId) public view returns (address payee) {
        address owner;
        try _identityRegistry.ownerOf(agentId) returns (address o) {
            owner = o;
        } catch {}
        if (owner == address(0)) revert AgentNotFound(agentId);
        payee = _identityRegistry.getAgentWallet(agentId);
        if (payee == address(0)) payee = owner;
    }

    /// @notice The receipt id of the `n`-th payment (0-based) of this contract on this chain.
    function receiptIdFor(uint256 n) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), n));
    }

    /// @inheritdoc IInteractionReceipts
    /// @dev `asset` is always `address(0)` (native token); unknown ids return an all-zero receipt.
    function interactionReceipt(bytes32 receiptId) external view returns (InteractionReceipt memory receipt) {
        StoredReceipt storage r = _receipts[receiptId];
        receipt = InteractionReceipt({
            client: r.client, agentId: r.agentId, asset: address(0), amount: r.amount, settledAt: r.settledAt
        });
    }

    /// @notice The identity registry payments are resolved against.
    function getIdentityRegistry() external view returns (address) {
        return address(_identityRegistry);
    }
}
