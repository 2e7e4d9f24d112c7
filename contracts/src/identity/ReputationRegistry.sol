// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Bytes} from "@openzeppelin/contracts/utils/Bytes.sol";

import {IReputationRegistry} from "./interfaces/IReputationRegistry.sol";
import {IAgentRegistryView, IInteractionReceipts} from "./interfaces/IInteractionReceipts.sol";

/// @title ReputationRegistry
/// @notice ERC-8004 reputation registry (January 2026 revision), non-upgradeable and gas-lean, ABI-compatible
///         with the reference `ReputationRegistryUpgradeable` v2.0.0, plus paginated reads and feedback backed
///         by on-chain interaction receipts.
/// @dev Storage differs from the reference, the data returned does not:
///      - one packed slot per feedback: value, decimals, revoked and exists flags, response count, the length of
///        tag1 and a reference to the tags;
///      - both tags are stored as one `bytes` value `tag1 ++ tag2` in a content-addressed table shared by all
///        feedback: the slot is picked by the hash of the pair, so a pair already used by anyone costs one SLOAD
///        instead of a new slot, and a new pair costs what storing it inline would. If another pair holds that
///        slot (a 24-bit collision), the pair is stored inline in the feedback instead;
///      - "is a client" is `lastIndex != 0` (no separate flag mapping);
///      - responses: a per-feedback total in the packed slot plus a per-responder counter (no responder array:
///        the reference never returns it);
///      - `endpoint`, `feedbackURI`, `feedbackHash`, `responseURI`, `responseHash` are only emitted, as in the
///        reference.
contract ReputationRegistry is IReputationRegistry, Ownable2Step {
    /// @notice Largest accepted `valueDecimals`.
    uint8 public constant MAX_VALUE_DECIMALS = 18;
    /// @notice Largest accepted `|value|`.
    int128 public constant MAX_ABS_VALUE = 1e38;

    /// @dev `tagsRef` of a feedback without tags.
    uint24 private constant TAGS_NONE = 0;
    /// @dev `tagsRef` of a feedback whose tags are in its own `inlineTags` (table slot taken by another pair).
    uint24 private constant TAGS_INLINE = type(uint24).max;

    /// @dev `isRevoked` and `exists` in the packed slot 0 of `Feedback` (bytes 17 and 18, after the 16-byte value
    ///      and the 1-byte decimals). Checked against the compiler's layout by the tests.
    uint256 private constant _REVOKED_BIT = 1 << 136;
    uint256 private constant _EXISTS_BIT = 1 << 144;

    /// @dev One feedback. Slot 0 is packed: 16 + 1 + 1 + 1 + 6 + 4 + 3 = 32 bytes. `inlineTags` and the receipt
    ///      slots stay zero (never written) unless used.
    struct Feedback {
        int128 value;
        uint8 valueDecimals;
        bool isRevoked;
        bool exists;
        uint48 responseCount;
        uint32 tag1Length;
        uint24 tagsRef;
        bytes inlineTags;
        address receiptSource;
        bytes32 receiptId;
    }

    /// @dev Which tags a read filters on (an empty filter tag matches everything).
    struct TagFilter {
        bool byTag1;
        bool byTag2;
        bytes32 tag1Hash;
        bytes32 tag2Hash;
    }

    /// @dev Running totals of a summary.
    struct Tally {
        uint64 count;
        int256 sumWad;
        uint64[19] decimalsHistogram;
    }

    IAgentRegistryView private immutable _identityRegistry;

    mapping(uint256 agentId => mapping(address client => uint64 lastIndex)) private _lastIndex;
    mapping(uint256 agentId => address[] clients) private _clients;
    /// @dev Keyed by `_feedbackKey(agentId, client, feedbackIndex)`: one hash instead of three nested ones.
    mapping(bytes32 feedbackKey => Feedback) private _feedback;
    mapping(
        uint256 agentId
            => mapping(address client => mapping(uint64 feedbackIndex => mapping(address responder => uint64 count)))
    ) private _responseCount;
    mapping(address source => bool allowed) private _receiptSources;
    mapping(address source => mapping(bytes32 receiptId => bool used)) private _receiptUsed;
    /// @dev Content-addressed `tag1 ++ tag2` pairs, see the contract notes.
    mapping(uint24 tagsRef => bytes tags) private _tagTable;

    /// @param identityRegistry_ The ERC-8004 identity registry (an ERC-721) whose agents are rated.
    /// @param initialOwner      Owner of the receipt-source allow-list (two-step transferable).
    constructor(address identityRegistry_, address initialOwner) Ownable(initialOwner) {
        if (identityRegistry_ == address(0)) revert ZeroAddress();
        _identityRegistry = IAgentRegistryView(identityRegistry_);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Writes
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IReputationRegistry
    /// @dev String parameters are taken in memory (same ABI) to keep the 11-field emit within the stack.
    function giveFeedback(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string memory tag1,
        string memory tag2,
        string memory endpoint,
        string memory feedbackURI,
        bytes32 feedbackHash
    ) external {
        _giveFeedback(agentId, value, valueDecimals, tag1, tag2, endpoint, feedbackURI, feedbackHash);
    }

    /// @inheritdoc IReputationRegistry
    function giveFeedbackWithReceipt(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string memory tag1,
        string memory tag2,
        string memory endpoint,
        string memory feedbackURI,
        bytes32 feedbackHash,
        address receiptSource,
        bytes32 receiptId
    ) external {
        _consumeReceipt(agentId, receiptSource, receiptId);
        uint64 feedbackIndex =
            _giveFeedback(agentId, value, valueDecimals, tag1, tag2, endpoint, feedbackURI, feedbackHash);
        Feedback storage f = _feedback[_feedbackKey(agentId, msg.sender, feedbackIndex)];
        (f.receiptSource, f.receiptId) = (receiptSource, receiptId);
        emit VerifiedFeedback(agentId, msg.sender, feedbackIndex, receiptSource, receiptId);
    }

    /// @inheritdoc IReputationRegistry
    function revokeFeedback(uint256 agentId, uint64 feedbackIndex) external {
        Feedback storage f = _feedback[_feedbackKey(agentId, msg.sender, feedbackIndex)];
        // One SLOAD and one SSTORE of the packed slot (the compiler would re-read it to set the flag).
        uint256 packed;
        assembly ("memory-safe") {
            packed := sload(f.slot)
        }
        if (packed & _EXISTS_BIT == 0) revert FeedbackNotFound(agentId, msg.sender, feedbackIndex);
        if (packed & _REVOKED_BIT != 0) revert FeedbackAlreadyRevoked(agentId, msg.sender, feedbackIndex);
        assembly ("memory-safe") {
            sstore(f.slot, or(packed, _REVOKED_BIT))
        }
        emit FeedbackRevoked(agentId, msg.sender, feedbackIndex);
    }

    /// @inheritdoc IReputationRegistry
    function appendResponse(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        string calldata responseURI,
        bytes32 responseHash
    ) external {
        if (bytes(responseURI).length == 0) revert EmptyResponseURI();
        ++_existingFeedback(agentId, clientAddress, feedbackIndex).responseCount;
        ++_responseCount[agentId][clientAddress][feedbackIndex][msg.sender];
        emit ResponseAppended(agentId, clientAddress, feedbackIndex, msg.sender, responseURI, responseHash);
    }

    /// @inheritdoc IReputationRegistry
    function setReceiptSource(address source, bool allowed) external onlyOwner {
        if (source == address(0)) revert ZeroAddress();
        _receiptSources[source] = allowed;
        emit ReceiptSourceSet(source, allowed);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Spec reads
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IReputationRegistry
    function getIdentityRegistry() external view returns (address) {
        return address(_identityRegistry);
    }

    /// @inheritdoc IReputationRegistry
    function getVersion() external pure returns (string memory) {
        return "2.0.0";
    }

    /// @inheritdoc IReputationRegistry
    function getLastIndex(uint256 agentId, address clientAddress) external view returns (uint64) {
        return _lastIndex[agentId][clientAddress];
    }

    /// @inheritdoc IReputationRegistry
    function getClients(uint256 agentId) external view returns (address[] memory) {
        return _clients[agentId];
    }

    /// @inheritdoc IReputationRegistry
    function readFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (int128 value, uint8 valueDecimals, string memory tag1, string memory tag2, bool isRevoked)
    {
        Feedback storage f = _existingFeedback(agentId, clientAddress, feedbackIndex);
        (tag1, tag2) = _readTags(f);
        return (f.value, f.valueDecimals, tag1, tag2, f.isRevoked);
    }

    /// @inheritdoc IReputationRegistry
    function getSummary(uint256 agentId, address[] calldata clientAddresses, string memory tag1, string memory tag2)
        external
        view
        returns (uint64 count, int128 summaryValue, uint8 summaryValueDecimals)
    {
        if (clientAddresses.length == 0) revert ClientAddressesRequired();
        Tally memory tally = _tally(agentId, clientAddresses, _tagFilter(tag1, tag2));
        (summaryValue, summaryValueDecimals) = _summarize(tally.count, tally.sumWad, tally.decimalsHistogram);
        return (tally.count, summaryValue, summaryValueDecimals);
    }

    /// @inheritdoc IReputationRegistry
    function readAllFeedback(
        uint256 agentId,
        address[] memory clientAddresses,
        string memory tag1,
        string memory tag2,
        bool includeRevoked
    )
        external
        view
        returns (
            address[] memory,
            uint64[] memory,
            int128[] memory,
            uint8[] memory,
            string[] memory,
            string[] memory,
            bool[] memory
        )
    {
        if (clientAddresses.length == 0) clientAddresses = _clients[agentId];
        return _unzip(_collect(agentId, clientAddresses, _tagFilter(tag1, tag2), includeRevoked));
    }

    /// @inheritdoc IReputationRegistry
    function getResponseCount(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        address[] calldata responders
    ) external view returns (uint64 count) {
        if (clientAddress == address(0)) {
            address[] storage clients = _clients[agentId];
            uint256 n = clients.length;
            for (uint256 i; i < n; ++i) {
                count += _countClientResponses(agentId, clients[i], responders);
            }
        } else if (feedbackIndex == 0) {
            count = _countClientResponses(agentId, clientAddress, responders);
        } else {
            count = _countResponses(agentId, clientAddress, feedbackIndex, responders);
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Extension reads
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IReputationRegistry
    function getClientsPaginated(uint256 agentId, uint256 offset, uint256 limit)
        external
        view
        returns (address[] memory clients, uint256 totalClients)
    {
        return _clientPage(agentId, offset, limit);
    }

    /// @inheritdoc IReputationRegistry
    function readAllFeedbackPaginated(
        uint256 agentId,
        string memory tag1,
        string memory tag2,
        bool includeRevoked,
        uint256 clientOffset,
        uint256 clientLimit
    ) external view returns (FeedbackEntry[] memory entries, uint256 totalClients) {
        address[] memory page;
        (page, totalClients) = _clientPage(agentId, clientOffset, clientLimit);
        entries = _collect(agentId, page, _tagFilter(tag1, tag2), includeRevoked);
    }

    /// @inheritdoc IReputationRegistry
    function getSummaryPaginated(
        uint256 agentId,
        string memory tag1,
        string memory tag2,
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
        )
    {
        Tally memory tally;
        (tally, totalClients) = _tallyPage(agentId, _tagFilter(tag1, tag2), clientOffset, clientLimit);
        (summaryValue, summaryValueDecimals) = _summarize(tally.count, tally.sumWad, tally.decimalsHistogram);
        return (tally.count, summaryValue, summaryValueDecimals, tally.sumWad, tally.decimalsHistogram, totalClients);
    }

    /// @inheritdoc IReputationRegistry
    function summarizeTally(uint64 count, int256 sumWad, uint64[19] calldata decimalsHistogram)
        external
        pure
        returns (int128 summaryValue, uint8 summaryValueDecimals)
    {
        return _summarize(count, sumWad, decimalsHistogram);
    }

    /// @inheritdoc IReputationRegistry
    function feedbackReceipt(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (address receiptSource, bytes32 receiptId)
    {
        Feedback storage f = _feedback[_feedbackKey(agentId, clientAddress, feedbackIndex)];
        return (f.receiptSource, f.receiptId);
    }

    /// @inheritdoc IReputationRegistry
    function isReceiptUsed(address source, bytes32 receiptId) external view returns (bool) {
        return _receiptUsed[source][receiptId];
    }

    /// @inheritdoc IReputationRegistry
    function isReceiptSource(address source) external view returns (bool) {
        return _receiptSources[source];
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Internal: writes
    // ─────────────────────────────────────────────────────────────────────────────

    /// @dev Checks value, decimals and the self-feedback rule, appends the feedback, emits `NewFeedback`;
    ///      returns the new feedback's index.
    function _giveFeedback(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string memory tag1,
        string memory tag2,
        string memory endpoint,
        string memory feedbackURI,
        bytes32 feedbackHash
    ) private returns (uint64 feedbackIndex) {
        if (valueDecimals > MAX_VALUE_DECIMALS) revert ValueDecimalsTooLarge(valueDecimals);
        if (value > MAX_ABS_VALUE || value < -MAX_ABS_VALUE) revert ValueOutOfRange(value);
        _requireNotOwnerOrOperator(agentId);

        feedbackIndex = _lastIndex[agentId][msg.sender] + 1;
        _lastIndex[agentId][msg.sender] = feedbackIndex;
        if (feedbackIndex == 1) _clients[agentId].push(msg.sender);

        Feedback storage f = _feedback[_feedbackKey(agentId, msg.sender, feedbackIndex)];
        uint24 tagsRef = _storeTags(f, bytes.concat(bytes(tag1), bytes(tag2)));
        // One SSTORE for the packed slot. A tag cannot reach 2^32 bytes (gas), so the cast is lossless.
        (f.value, f.valueDecimals, f.exists, f.tag1Length, f.tagsRef) =
        (value, valueDecimals, true, uint32(bytes(tag1).length), tagsRef);

        emit NewFeedback(
            agentId,
            msg.sender,
            feedbackIndex,
            value,
            valueDecimals,
            tag1,
            tag1,
            tag2,
            endpoint,
            feedbackURI,
            feedbackHash
        );
    }

    /// @dev Reverts unless the agent exists and the caller is neither its owner nor an operator of it.
    function _requireNotOwnerOrOperator(uint256 agentId) private view {
        IAgentRegistryView registry = _identityRegistry;
        address owner;
        try registry.ownerOf(agentId) returns (address o) {
            owner = o;
        } catch {}
        if (owner == address(0)) revert AgentNotFound(agentId);
        if (
            msg.sender == owner || registry.isApprovedForAll(owner, msg.sender)
                || registry.getApproved(agentId) == msg.sender
        ) revert SelfFeedbackNotAllowed(agentId, msg.sender);
    }

    /// @dev Checks the receipt against the caller and the agent and marks it used.
    function _consumeReceipt(uint256 agentId, address source, bytes32 receiptId) private {
        if (!_receiptSources[source]) revert ReceiptSourceNotAllowed(source);
        if (_receiptUsed[source][receiptId]) revert ReceiptAlreadyUsed(source, receiptId);
        IInteractionReceipts.InteractionReceipt memory r = IInteractionReceipts(source).interactionReceipt(receiptId);
        if (r.settledAt == 0) revert ReceiptNotFound(source, receiptId);
        if (r.client != msg.sender) revert ReceiptClientMismatch(source, receiptId, r.client, msg.sender);
        if (r.agentId != agentId) revert ReceiptAgentMismatch(source, receiptId, r.agentId, agentId);
        _receiptUsed[source][receiptId] = true;
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Internal: reads
    // ─────────────────────────────────────────────────────────────────────────────

    /// @dev Storage key of a feedback: keccak256(agentId, client << 64 | feedbackIndex), hashed in scratch space.
    ///      Injective: `client` (160 bits) and `feedbackIndex` (64 bits) share one word without overlap.
    function _feedbackKey(uint256 agentId, address client, uint64 feedbackIndex) private pure returns (bytes32 key) {
        assembly ("memory-safe") {
            mstore(0x00, agentId)
            mstore(0x20, or(shl(64, client), feedbackIndex))
            key := keccak256(0x00, 0x40)
        }
    }

    /// @dev Stores the pair `tags` (= tag1 ++ tag2) for `f` and returns its `tagsRef`.
    function _storeTags(Feedback storage f, bytes memory tags) private returns (uint24 tagsRef) {
        if (tags.length == 0) return TAGS_NONE;
        bytes32 tagsHash = keccak256(tags);
        tagsRef = uint24(uint256(tagsHash) % (uint256(TAGS_INLINE) - 1)) + 1; // 1 .. TAGS_INLINE - 1
        bytes storage entry = _tagTable[tagsRef];
        if (entry.length == 0) {
            _tagTable[tagsRef] = tags; // first use of this pair
        } else if (keccak256(entry) != tagsHash) {
            f.inlineTags = tags; // the slot holds another pair
            tagsRef = TAGS_INLINE;
        }
    }

    /// @dev The stored `tag1 ++ tag2` of `f`.
    function _tagsOf(Feedback storage f) private view returns (bytes memory) {
        uint24 tagsRef = f.tagsRef;
        if (tagsRef == TAGS_NONE) return "";
        return tagsRef == TAGS_INLINE ? f.inlineTags : _tagTable[tagsRef];
    }

    /// @dev The feedback, or a revert if it does not exist (index 0 or above the client's last index).
    function _existingFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        private
        view
        returns (Feedback storage f)
    {
        f = _feedback[_feedbackKey(agentId, clientAddress, feedbackIndex)];
        if (!f.exists) revert FeedbackNotFound(agentId, clientAddress, feedbackIndex);
    }

    /// @dev Splits the stored `tag1 ++ tag2`.
    function _readTags(Feedback storage f) private view returns (string memory tag1, string memory tag2) {
        bytes memory tags = _tagsOf(f);
        uint256 len1 = f.tag1Length;
        if (len1 == tags.length) return (string(tags), "");
        if (len1 == 0) return ("", string(tags));
        return (string(Bytes.slice(tags, 0, len1)), string(Bytes.slice(tags, len1)));
    }

    function _tagFilter(string memory tag1, string memory tag2) private pure returns (TagFilter memory filter) {
        filter.byTag1 = bytes(tag1).length != 0;
        filter.byTag2 = bytes(tag2).length != 0;
        if (filter.byTag1) filter.tag1Hash = keccak256(bytes(tag1));
        if (filter.byTag2) filter.tag2Hash = keccak256(bytes(tag2));
    }

    /// @dev Whether the feedback's tags pass `filter`.
    function _matches(Feedback storage f, TagFilter memory filter) private view returns (bool) {
        if (!filter.byTag1 && !filter.byTag2) return true;
        bytes memory tags = _tagsOf(f);
        uint256 len1 = f.tag1Length;
        if (filter.byTag1 && _hashRange(tags, 0, len1) != filter.tag1Hash) return false;
        if (filter.byTag2 && _hashRange(tags, len1, tags.length - len1) != filter.tag2Hash) return false;
        return true;
    }

    /// @dev keccak256 of `data[start : start + len]`.
    function _hashRange(bytes memory data, uint256 start, uint256 len) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(add(add(data, 0x20), start), len)
        }
    }

    /// @dev Sums the non-revoked, matching feedback of `clients` (duplicates count twice, as in the reference).
    function _tally(uint256 agentId, address[] memory clients, TagFilter memory filter)
        private
        view
        returns (Tally memory tally)
    {
        for (uint256 i; i < clients.length; ++i) {
            address client = clients[i];
            uint64 last = _lastIndex[agentId][client];
            for (uint64 j = 1; j <= last; ++j) {
                Feedback storage f = _feedback[_feedbackKey(agentId, client, j)];
                (int128 value, uint8 decimals, bool revoked) = (f.value, f.valueDecimals, f.isRevoked);
                if (revoked || !_matches(f, filter)) continue;
                tally.sumWad += int256(value) * int256(10 ** (18 - uint256(decimals)));
                ++tally.decimalsHistogram[decimals];
                ++tally.count;
            }
        }
    }

    /// @dev `_tally` over a page of the agent's clients, and the client count.
    function _tallyPage(uint256 agentId, TagFilter memory filter, uint256 offset, uint256 limit)
        private
        view
        returns (Tally memory tally, uint256 totalClients)
    {
        address[] memory page;
        (page, totalClients) = _clientPage(agentId, offset, limit);
        tally = _tally(agentId, page, filter);
    }

    /// @dev Average in 18 decimals (truncating), scaled to the most frequent decimals (lowest on ties). The
    ///      final narrowing to int128 truncates exactly like the reference's `int128(...)` cast.
    function _summarize(uint64 count, int256 sumWad, uint64[19] memory decimalsHistogram)
        private
        pure
        returns (int128 summaryValue, uint8 summaryValueDecimals)
    {
        if (count == 0) return (0, 0);
        uint64 best;
        for (uint8 d; d <= MAX_VALUE_DECIMALS; ++d) {
            if (decimalsHistogram[d] > best) {
                best = decimalsHistogram[d];
                summaryValueDecimals = d;
            }
        }
        int256 averageWad = sumWad / int256(uint256(count));
        // forge-lint: disable-next-line(unsafe-typecast) -- deliberate: same truncation as the reference
        summaryValue = int128(averageWad / int256(10 ** (18 - uint256(summaryValueDecimals))));
    }

    /// @dev Matching feedback of `clients`, in client then index order.
    function _collect(uint256 agentId, address[] memory clients, TagFilter memory filter, bool includeRevoked)
        private
        view
        returns (FeedbackEntry[] memory entries)
    {
        uint256 upperBound;
        for (uint256 i; i < clients.length; ++i) {
            upperBound += _lastIndex[agentId][clients[i]];
        }
        entries = new FeedbackEntry[](upperBound);
        uint256 n;
        for (uint256 i; i < clients.length; ++i) {
            address client = clients[i];
            uint64 last = _lastIndex[agentId][client];
            for (uint64 j = 1; j <= last; ++j) {
                Feedback storage f = _feedback[_feedbackKey(agentId, client, j)];
                if ((f.isRevoked && !includeRevoked) || !_matches(f, filter)) continue;
                FeedbackEntry memory e = entries[n++];
                (e.client, e.feedbackIndex, e.value, e.valueDecimals, e.isRevoked) =
                (client, j, f.value, f.valueDecimals, f.isRevoked);
                (e.tag1, e.tag2) = _readTags(f);
            }
        }
        assembly ("memory-safe") {
            mstore(entries, n) // shrink to the entries actually filled
        }
    }

    /// @dev The spec's column-wise return shape of `readAllFeedback`.
    function _unzip(FeedbackEntry[] memory entries)
        private
        pure
        returns (
            address[] memory clients,
            uint64[] memory feedbackIndexes,
            int128[] memory values,
            uint8[] memory valueDecimals,
            string[] memory tag1s,
            string[] memory tag2s,
            bool[] memory revokedStatuses
        )
    {
        uint256 n = entries.length;
        clients = new address[](n);
        feedbackIndexes = new uint64[](n);
        values = new int128[](n);
        valueDecimals = new uint8[](n);
        tag1s = new string[](n);
        tag2s = new string[](n);
        revokedStatuses = new bool[](n);
        for (uint256 i; i < n; ++i) {
            FeedbackEntry memory e = entries[i];
            clients[i] = e.client;
            feedbackIndexes[i] = e.feedbackIndex;
            values[i] = e.value;
            valueDecimals[i] = e.valueDecimals;
            tag1s[i] = e.tag1;
            tag2s[i] = e.tag2;
            revokedStatuses[i] = e.isRevoked;
        }
    }

    /// @dev `_clients[agentId][offset : offset + limit]` (clamped), and the client count.
    function _clientPage(uint256 agentId, uint256 offset, uint256 limit)
        private
        view
        returns (address[] memory page, uint256 total)
    {
        address[] storage clients = _clients[agentId];
        total = clients.length;
        (uint256 start, uint256 end) = _pageBounds(total, offset, limit);
        page = new address[](end - start);
        for (uint256 i = start; i < end; ++i) {
            page[i - start] = clients[i];
        }
    }

    /// @dev Responses to one feedback, from `responders` or from everyone if it is empty.
    function _countResponses(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        address[] calldata responders
    ) private view returns (uint64 count) {
        if (responders.length == 0) {
            return _feedback[_feedbackKey(agentId, clientAddress, feedbackIndex)].responseCount;
        }
        mapping(address => uint64) storage perResponder = _responseCount[agentId][clientAddress][feedbackIndex];
        for (uint256 k; k < responders.length; ++k) {
            count += perResponder[responders[k]];
        }
    }

    /// @dev Responses to every feedback of one client.
    function _countClientResponses(uint256 agentId, address clientAddress, address[] calldata responders)
        private
        view
        returns (uint64 count)
    {
        uint64 last = _lastIndex[agentId][clientAddress];
        for (uint64 j = 1; j <= last; ++j) {
            count += _countResponses(agentId, clientAddress, j, responders);
        }
    }

    /// @dev `[start, end)` of the page `[offset, offset + limit)` of a list of `total` items, clamped to it.
    function _pageBounds(uint256 total, uint256 offset, uint256 limit)
        private
        pure
        returns (uint256 start, uint256 end)
    {
        if (offset >= total) return (total, total);
        start = offset;
        end = total - offset < limit ? total : offset + limit;
    }
}
