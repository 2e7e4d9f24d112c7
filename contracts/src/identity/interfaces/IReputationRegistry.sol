// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IReputationRegistry
/// @notice ERC-8004 "Trustless Agents" reputation registry (January 2026 revision, reference ABI v2.0.0),
///         plus Machina extensions: paginated reads and receipt-backed ("verified") feedback.
/// @dev Every spec function and event keeps the reference contract's exact signature, so 8004 explorers,
///      indexers and SDKs work unchanged. Extensions are additive only.
interface IReputationRegistry {
    // ─────────────────────────────────────────────────────────────────────────────
    // Types (extensions)
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice One feedback as returned by the paginated reads.
    struct FeedbackEntry {
        address client;
        uint64 feedbackIndex;
        int128 value;
        uint8 valueDecimals;
        string tag1;
        string tag2;
        bool isRevoked;
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Events (spec)
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice A client gave feedback; `indexedTag1` is the keccak of `tag1` as a topic, `tag1` is repeated
    ///         in the data so it stays readable.
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

    /// @notice A client revoked one of its feedbacks.
    event FeedbackRevoked(uint256 indexed agentId, address indexed clientAddress, uint64 indexed feedbackIndex);

    /// @notice Someone (the agent, an auditor, anyone) appended a response to a feedback.
    event ResponseAppended(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        address indexed responder,
        string responseURI,
        bytes32 responseHash
    );

    // ─────────────────────────────────────────────────────────────────────────────
    // Events (extensions)
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice The feedback `(agentId, clientAddress, feedbackIndex)` is backed by the interaction receipt
    ///         `receiptId` of `receiptSource`. Emitted right after its `NewFeedback`.
    event VerifiedFeedback(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        address indexed receiptSource,
        bytes32 receiptId
    );

    /// @notice The owner allowed (`allowed == true`) or disallowed a receipt source.
    event ReceiptSourceSet(address indexed source, bool allowed);

    // ─────────────────────────────────────────────────────────────────────────────
    // Errors
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice A required address argument was zero.
    error ZeroAddress();
    /// @notice The identity registry has no agent `agentId`.
    error AgentNotFound(uint256 agentId);
    /// @notice `caller` owns or operates `agentId` and so may not rate it.
    error SelfFeedbackNotAllowed(uint256 agentId, address caller);
    /// @notice `valueDecimals` is above 18.
    error ValueDecimalsTooLarge(uint8 valueDecimals);
    /// @notice `|value|` is above 1e38.
    error ValueOutOfRange(int128 value);
    /// @notice No feedback `feedbackIndex` (1-based) from `clientAddress` for `agentId`.
    error FeedbackNotFound(uint256 agentId, address clientAddress, uint64 feedbackIndex);
    /// @notice The feedback was already revoked.
    error FeedbackAlreadyRevoked(uint256 agentId, address clientAddress, uint64 feedbackIndex);
    /// @notice `appendResponse` needs a non-empty `responseURI`.
    error EmptyResponseURI();
    /// @notice `getSummary` needs an explicit, non-empty list of clients (the spec's Sybil filter).
    error ClientAddressesRequired();
    /// @notice `source` is not an allow-listed receipt source.
    error ReceiptSourceNotAllowed(address source);
    /// @notice `source` has no receipt `receiptId` (its `settledAt` is zero).
    error ReceiptNotFound(address source, bytes32 receiptId);
    /// @notice The receipt belongs to `receiptClient`, not to the caller.
    error ReceiptClientMismatch(address source, bytes32 receiptId, address receiptClient, address caller);
    /// @notice The receipt is for `receiptAgentId`, not for the agent being rated.
    error ReceiptAgentMismatch(address source, bytes32 receiptId, uint256 receiptAgentId, uint256 agentId);
    /// @notice The receipt already backs a feedback.
    error ReceiptAlreadyUsed(address source, bytes32 receiptId);

    // ─────────────────────────────────────────────────────────────────────────────
    // Spec
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice The identity registry whose agents this registry rates.
    function getIdentityRegistry() external view returns (address);

    /// @notice Give feedback to `agentId`. The agent's owner and operators may not rate it.
    /// @param value         Signed fixed-point value, `|value| <= 1e38`.
    /// @param valueDecimals Decimals of `value`, 0..18.
    /// @param tag1          Optional tag (indexed in the event as its hash).
    /// @param tag2          Optional tag.
    /// @param endpoint      Optional endpoint the feedback is about (event only).
    /// @param feedbackURI   Optional off-chain feedback file (event only).
    /// @param feedbackHash  Optional commitment to the feedback file (event only).
    function giveFeedback(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string calldata tag1,
        string calldata tag2,
        string calldata endpoint,
        string calldata feedbackURI,
        bytes32 feedbackHash
    ) external;

    /// @notice Revoke the caller's feedback `feedbackIndex` to `agentId`. It stays readable, flagged revoked.
    function revokeFeedback(uint256 agentId, uint64 feedbackIndex) external;

    /// @notice Append a response (refund proof, rebuttal, audit…) to an existing feedback. Anyone may respond.
    function appendResponse(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        string calldata responseURI,
        bytes32 responseHash
    ) external;

    /// @notice Number of feedbacks `clientAddress` gave `agentId` (= the last 1-based index, 0 if none).
    function getLastIndex(uint256 agentId, address clientAddress) external view returns (uint64);

    /// @notice One feedback. Reverts for index 0 or above the client's last index.
    function readFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (int128 value, uint8 valueDecimals, string memory tag1, string memory tag2, bool isRevoked);

    /// @notice Average of the non-revoked feedback of `clientAddresses` (required, non-empty) matching the
    ///         tags (empty tag = any). Values are normalised to 18 decimals, averaged (truncating), and scaled
    ///         to the most frequent `valueDecimals` (lowest on ties).
    function getSummary(uint256 agentId, address[] calldata clientAddresses, string calldata tag1, string calldata tag2)
        external
        view
        returns (uint64 count, int128 summaryValue, uint8 summaryValueDecimals);

    /// @notice Every feedback of `clientAddresses` (all clients if empty) matching the tags, revoked ones
    ///         only if `includeRevoked`. Ordered by client, then index.
    function readAllFeedback(
        uint256 agentId,
        address[] calldata clientAddresses,
        string calldata tag1,
        string calldata tag2,
        bool includeRevoked
    )
        external
        view
        returns (
            address[] memory clients,
            uint64[] memory feedbackIndexes,
            int128[] memory values,
            uint8[] memory valueDecimals,
            string[] memory tag1s,
            string[] memory tag2s,
            bool[] memory revokedStatuses
        );

    /// @notice Responses counted over: every feedback of every client (`clientAddress == 0`), every feedback
    ///         of one client (`feedbackIndex == 0`), or one feedback; from `responders` only, or all if empty.
    function getResponseCount(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        address[] calldata responders
    ) external view returns (uint64 count);

    /// @notice Every address that ever gave `agentId` feedback, in order of first feedback.
    function getClients(uint256 agentId) external view returns (address[] memory);

    /// @notice Version of the ERC-8004 reference ABI this registry implements.
    function getVersion() external pure returns (string memory);

    // ─────────────────────────────────────────────────────────────────────────────
    // Extensions: pagination
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice `getClients` page `[offset, offset + limit)`, and the total number of clients.
    function getClientsPaginated(uint256 agentId, uint256 offset, uint256 limit)
        external
        view
        returns (address[] memory clients, uint256 totalClients);

    /// @notice `readAllFeedback` over the clients `getClients(agentId)[clientOffset : clientOffset + clientLimit]`,
    ///         and the total number of clients (iterate `clientOffset` up to it).
    function readAllFeedbackPaginated(
        uint256 agentId,
        string calldata tag1,
        string calldata tag2,
        bool includeRevoked,
        uint256 clientOffset,
        uint256 clientLimit
    ) external view returns (FeedbackEntry[] memory entries, uint256 totalClients);

    /// @notice `getSummary` over the clients `getClients(agentId)[clientOffset : clientOffset + clientLimit]`.
    ///         Also returns the page's mergeable parts: `sumWad` (sum of values normalised to 18 decimals) and
    ///         `decimalsHistogram` (count per `valueDecimals`). To merge pages add `count`, `sumWad` and the
    ///         histograms, then call `summarizeTally`.
    function getSummaryPaginated(
        uint256 agentId,
        string calldata tag1,
        string calldata tag2,
        uint256 clientOffset,
        uint256 clientLimit
    )
        external
        view
        returns (
            uint64 count,
            int128 summaryValue,
            uint8 summaryValueDecimals,
            int256 sumWad,
            uint64[19] memory decimalsHistogram,
            uint256 totalClients
        );

    /// @notice The summary math of `getSummary` applied to merged page parts.
    function summarizeTally(uint64 count, int256 sumWad, uint64[19] calldata decimalsHistogram)
        external
        pure
        returns (int128 summaryValue, uint8 summaryValueDecimals);

    // ─────────────────────────────────────────────────────────────────────────────
    // Extensions: receipt-backed feedback
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice `giveFeedback`, backed by the interaction receipt `receiptId` of the allow-listed
    ///         `receiptSource`: the receipt must exist, name the caller as client and `agentId` as agent, and
    ///         not have backed a feedback before. Emits `NewFeedback` then `VerifiedFeedback`.
    function giveFeedbackWithReceipt(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string calldata tag1,
        string calldata tag2,
        string calldata endpoint,
        string calldata feedbackURI,
        bytes32 feedbackHash,
        address receiptSource,
        bytes32 receiptId
    ) external;

    /// @notice The receipt backing a feedback, or `(address(0), 0)` for free-form feedback.
    function feedbackReceipt(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (address receiptSource, bytes32 receiptId);

    /// @notice Whether the receipt `receiptId` of `source` already backs a feedback.
    function isReceiptUsed(address source, bytes32 receiptId) external view returns (bool);

    /// @notice Whether `source` is an allow-listed receipt source.
    function isReceiptSource(address source) external view returns (bool);

    /// @notice Allow or disallow a receipt source (owner only). Disallowing does not touch feedback it backed.
    function setReceiptSource(address source, bool allowed) external;
}
