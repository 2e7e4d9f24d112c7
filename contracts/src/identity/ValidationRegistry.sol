// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IValidationRegistry} from "./interfaces/IValidationRegistry.sol";
import {IAgentRegistryView} from "./interfaces/IInteractionReceipts.sol";

/// @title ValidationRegistry
/// @notice ERC-8004 validation registry (January 2026 revision), non-upgradeable and gas-lean, ABI-compatible
///         with the reference `ValidationRegistryUpgradeable` v2.0.0, plus paginated reads.
/// @dev Storage differs from the reference, the data returned does not:
///      - a request is one packed slot (validator, 32-bit agent id, 40-bit timestamp, answer, tag reference)
///        written by the request and updated in place by answers; `responseHash` gets its own slot only once
///        non-zero. Agent ids that do not fit 32 bits (never with a sequential identity registry) spill into an
///        extra slot;
///      - tags live in a content-addressed table shared by all requests: the slot is picked by the tag's hash,
///        so a tag already used by anyone costs one SLOAD instead of a new slot, and a new tag costs what storing
///        it inline would. If another tag holds that slot (a 16-bit collision), the tag is stored inline in the
///        request instead;
///      - `requestURI` and `responseURI` are only emitted, as in the reference.
contract ValidationRegistry is IValidationRegistry {
    /// @notice Largest accepted `response`.
    uint8 public constant MAX_RESPONSE = 100;

    /// @dev `agentIdSmall` value meaning "the id is in `agentIdLarge`".
    uint32 private constant AGENT_ID_SPILLED = type(uint32).max;
    /// @dev `tagRef` of an empty tag.
    uint16 private constant TAG_NONE = 0;
    /// @dev `tagRef` of a tag stored in the request's own `inlineTag` (table slot taken by another tag).
    uint16 private constant TAG_INLINE = type(uint16).max;

    /// @dev One request. Slot 0 is packed: 20 + 4 + 5 + 1 + 2 = 32 bytes. `answer` is 0 before the first
    ///      answer, else `response + 1`. The other slots stay zero (never written) unless used.
    struct Validation {
        address validatorAddress;
        uint32 agentIdSmall;
        uint40 lastUpdate;
        uint8 answer;
        uint16 tagRef;
        bytes32 responseHash;
        string inlineTag;
        uint256 agentIdLarge;
    }

    IAgentRegistryView private immutable _identityRegistry;

    mapping(bytes32 requestHash => Validation) private _validations;
    mapping(uint256 agentId => bytes32[] requestHashes) private _agentValidations;
    mapping(address validator => bytes32[] requestHashes) private _validatorRequests;
    /// @dev Content-addressed tags, see the contract notes.
    mapping(uint16 tagRef => string tag) private _tagTable;

    /// @param identityRegistry_ The ERC-8004 identity registry (an ERC-721) whose agents are validated.
    constructor(address identityRegistry_) {
        if (identityRegistry_ == address(0)) revert ZeroAddress();
        _identityRegistry = IAgentRegistryView(identityRegistry_);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Writes
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IValidationRegistry
    function validationRequest(
        address validatorAddress,
        uint256 agentId,
        string calldata requestURI,
        bytes32 requestHash
    ) external {
        if (validatorAddress == address(0)) revert ZeroAddress();
        Validation storage v = _validations[requestHash];
        if (v.validatorAddress != address(0)) revert RequestAlreadyExists(requestHash);
        _requireOwnerOrOperator(agentId);

        uint32 agentIdSmall = agentId < AGENT_ID_SPILLED ? uint32(agentId) : AGENT_ID_SPILLED;
        (v.validatorAddress, v.lastUpdate, v.agentIdSmall) = (validatorAddress, uint40(block.timestamp), agentIdSmall);
        if (agentIdSmall == AGENT_ID_SPILLED) v.agentIdLarge = agentId;

        _agentValidations[agentId].push(requestHash);
        _validatorRequests[validatorAddress].push(requestHash);

        emit ValidationRequest(validatorAddress, agentId, requestURI, requestHash);
    }

    /// @inheritdoc IValidationRegistry
    function validationResponse(
        bytes32 requestHash,
        uint8 response,
        string calldata responseURI,
        bytes32 responseHash,
        string calldata tag
    ) external {
        if (response > MAX_RESPONSE) revert ResponseOutOfRange(response);
        Validation storage v = _validations[requestHash];
        address validator = v.validatorAddress;
        if (validator == address(0)) revert RequestNotFound(requestHash);
        if (msg.sender != validator) revert NotRequestValidator(requestHash, validator, msg.sender);

        bool answeredBefore = v.answer != 0;
        uint16 tagRef = _storeTag(v, tag);
        (v.answer, v.lastUpdate, v.tagRef) = (response + 1, uint40(block.timestamp), tagRef);
        // Before the first answer the slot is zero: skip writing zero into it.
        if (answeredBefore || responseHash != bytes32(0)) v.responseHash = responseHash;

        emit ValidationResponse(validator, _agentIdOf(v), requestHash, response, responseURI, responseHash, tag);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Spec reads
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IValidationRegistry
    function getIdentityRegistry() external view returns (address) {
        return address(_identityRegistry);
    }

    /// @inheritdoc IValidationRegistry
    function getVersion() external pure returns (string memory) {
        return "2.0.0";
    }

    /// @inheritdoc IValidationRegistry
    function getValidationStatus(bytes32 requestHash)
        external
        view
        returns (
            address validatorAddress,
            uint256 agentId,
            uint8 response,
            bytes32 responseHash,
            string memory tag,
            uint256 lastUpdate
        )
    {
        Validation storage v = _validations[requestHash];
        validatorAddress = v.validatorAddress;
        if (validatorAddress == address(0)) revert RequestNotFound(requestHash);
        uint8 answer = v.answer;
        return (validatorAddress, _agentIdOf(v), answer == 0 ? 0 : answer - 1, v.responseHash, _tagOf(v), v.lastUpdate);
    }

    /// @inheritdoc IValidationRegistry
    function getSummary(uint256 agentId, address[] calldata validatorAddresses, string memory tag)
        external
        view
        returns (uint64 count, uint8 avgResponse)
    {
        bytes32[] storage hashes = _agentValidations[agentId];
        uint256 sum;
        (count, sum) = _tally(hashes, 0, hashes.length, validatorAddresses, tag);
        avgResponse = _average(count, sum);
    }

    /// @inheritdoc IValidationRegistry
    function getAgentValidations(uint256 agentId) external view returns (bytes32[] memory) {
        return _agentValidations[agentId];
    }

    /// @inheritdoc IValidationRegistry
    function getValidatorRequests(address validatorAddress) external view returns (bytes32[] memory) {
        return _validatorRequests[validatorAddress];
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Extension reads
    // ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IValidationRegistry
    function hasResponse(bytes32 requestHash) external view returns (bool) {
        Validation storage v = _validations[requestHash];
        if (v.validatorAddress == address(0)) revert RequestNotFound(requestHash);
        return v.answer != 0;
    }

    /// @inheritdoc IValidationRegistry
    function getAgentValidationsPaginated(uint256 agentId, uint256 offset, uint256 limit)
        external
        view
        returns (bytes32[] memory requestHashes, uint256 total)
    {
        return _page(_agentValidations[agentId], offset, limit);
    }

    /// @inheritdoc IValidationRegistry
    function getValidatorRequestsPaginated(address validatorAddress, uint256 offset, uint256 limit)
        external
        view
        returns (bytes32[] memory requestHashes, uint256 total)
    {
        return _page(_validatorRequests[validatorAddress], offset, limit);
    }

    /// @inheritdoc IValidationRegistry
    function getSummaryPaginated(
        uint256 agentId,
        address[] calldata validatorAddresses,
        string memory tag,
        uint256 offset,
        uint256 limit
    ) external view returns (uint64 count, uint8 avgResponse, uint256 responseSum, uint256 total) {
        bytes32[] storage hashes = _agentValidations[agentId];
        total = hashes.length;
        (uint256 start, uint256 end) = _pageBounds(total, offset, limit);
        (count, responseSum) = _tally(hashes, start, end, validatorAddresses, tag);
        avgResponse = _average(count, responseSum);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Internal
    // ─────────────────────────────────────────────────────────────────────────────

    /// @dev Reverts unless the agent exists and the caller owns or operates it.
    function _requireOwnerOrOperator(uint256 agentId) private view {
        IAgentRegistryView registry = _identityRegistry;
        address owner;
        try registry.ownerOf(agentId) returns (address o) {
            owner = o;
        } catch {}
        if (owner == address(0)) revert AgentNotFound(agentId);
        if (
            msg.sender != owner && !registry.isApprovedForAll(owner, msg.sender)
                && registry.getApproved(agentId) != msg.sender
        ) revert NotAgentOwnerOrOperator(agentId, msg.sender);
    }

    function _agentIdOf(Validation storage v) private view returns (uint256) {
        uint32 small = v.agentIdSmall;
        return small == AGENT_ID_SPILLED ? v.agentIdLarge : small;
    }

    /// @dev Stores `tag` for `v` and returns its `tagRef`.
    function _storeTag(Validation storage v, string calldata tag) private returns (uint16 tagRef) {
        if (bytes(tag).length == 0) return TAG_NONE;
        bytes32 tagHash = keccak256(bytes(tag));
        tagRef = uint16(uint256(tagHash) % (uint256(TAG_INLINE) - 1)) + 1; // 1 .. TAG_INLINE - 1
        string storage entry = _tagTable[tagRef];
        if (bytes(entry).length == 0) {
            _tagTable[tagRef] = tag; // first use of this tag
        } else if (keccak256(bytes(entry)) != tagHash) {
            v.inlineTag = tag; // the slot holds another tag
            tagRef = TAG_INLINE;
        }
    }

    /// @dev The tag of the latest answer of `v`.
    function _tagOf(Validation storage v) private view returns (string memory) {
        uint16 tagRef = v.tagRef;
        if (tagRef == TAG_NONE) return "";
        return tagRef == TAG_INLINE ? v.inlineTag : _tagTable[tagRef];
    }

    /// @dev Count and sum of the answered requests `hashes[start:end]` passing the validator and tag filters.
    function _tally(
        bytes32[] storage hashes,
        uint256 start,
        uint256 end,
        address[] calldata validatorAddresses,
        string memory tag
    ) private view returns (uint64 count, uint256 sum) {
        bool byTag = bytes(tag).length != 0;
        bytes32 tagHash = keccak256(bytes(tag));
        for (uint256 i = start; i < end; ++i) {
            Validation storage v = _validations[hashes[i]];
            (address validator, uint8 answer) = (v.validatorAddress, v.answer);
            if (answer == 0) continue;
            if (validatorAddresses.length != 0 && !_contains(validatorAddresses, validator)) continue;
            if (byTag && keccak256(bytes(_tagOf(v))) != tagHash) continue;
            sum += answer - 1;
            ++count;
        }
    }

    function _contains(address[] calldata list, address a) private pure returns (bool) {
        for (uint256 j; j < list.length; ++j) {
            if (list[j] == a) return true;
        }
        return false;
    }

    function _average(uint64 count, uint256 sum) private pure returns (uint8) {
        // forge-lint: disable-next-line(unsafe-typecast) -- an average of values <= 100 is <= 100
        return count == 0 ? 0 : uint8(sum / count);
    }

    /// @dev `list[offset : offset + limit]` (clamped), and the list's length.
    function _page(bytes32[] storage list, uint256 offset, uint256 limit)
        private
        view
        returns (bytes32[] memory page, uint256 total)
    {
        total = list.length;
        (uint256 start, uint256 end) = _pageBounds(total, offset, limit);
        page = new bytes32[](end - start);
        for (uint256 i = start; i < end; ++i) {
            page[i - start] = list[i];
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
