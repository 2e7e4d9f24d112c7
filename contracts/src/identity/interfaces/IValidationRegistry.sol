// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IValidationRegistry
/// @notice ERC-8004 "Trustless Agents" validation registry (January 2026 revision, reference ABI v2.0.0), plus
///         Machina's paginated reads.
/// @dev Spec functions and events keep the reference contract's exact signatures; extensions are additive.
interface IValidationRegistry {
    // ─────────────────────────────────────────────────────────────────────────────
    // Events (spec)
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice The agent's owner or an operator asked `validatorAddress` to validate `requestHash`.
    event ValidationRequest(
        address indexed validatorAddress, uint256 indexed agentId, string requestURI, bytes32 indexed requestHash
    );

    /// @notice The validator answered (or updated its answer to) `requestHash`.
    event ValidationResponse(
        address indexed validatorAddress,
        uint256 indexed agentId,
        bytes32 indexed requestHash,
        uint8 response,
        string responseURI,
        bytes32 responseHash,
        string tag
    );

    // ─────────────────────────────────────────────────────────────────────────────
    // Errors
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice A required address argument was zero.
    error ZeroAddress();
    /// @notice The identity registry has no agent `agentId`.
    error AgentNotFound(uint256 agentId);
    /// @notice `caller` neither owns nor operates `agentId`.
    error NotAgentOwnerOrOperator(uint256 agentId, address caller);
    /// @notice A request with this hash already exists.
    error RequestAlreadyExists(bytes32 requestHash);
    /// @notice No request with this hash.
    error RequestNotFound(bytes32 requestHash);
    /// @notice Only the validator named in the request may answer it.
    error NotRequestValidator(bytes32 requestHash, address validator, address caller);
    /// @notice `response` is above 100.
    error ResponseOutOfRange(uint8 response);

    // ─────────────────────────────────────────────────────────────────────────────
    // Spec
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice The identity registry whose agents are validated.
    function getIdentityRegistry() external view returns (address);

    /// @notice Ask `validatorAddress` to validate work of `agentId` described at `requestURI` and committed to
    ///         by `requestHash` (unique). Only the agent's owner or an operator may ask.
    function validationRequest(
        address validatorAddress,
        uint256 agentId,
        string calldata requestURI,
        bytes32 requestHash
    ) external;

    /// @notice Answer request `requestHash` with `response` in 0..100; only its validator may, as often as it
    ///         likes (e.g. soft then hard finality). The last answer is the one stored.
    function validationResponse(
        bytes32 requestHash,
        uint8 response,
        string calldata responseURI,
        bytes32 responseHash,
        string calldata tag
    ) external;

    /// @notice A request and its latest answer (zeroes and "" before any answer). `lastUpdate` is the time of
    ///         the request or of the latest answer. Reverts for an unknown request.
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
        );

    /// @notice Count and average (truncating) of the answered requests of `agentId`, from `validatorAddresses`
    ///         only (all if empty), with tag `tag` only (any if empty).
    function getSummary(uint256 agentId, address[] calldata validatorAddresses, string calldata tag)
        external
        view
        returns (uint64 count, uint8 avgResponse);

    /// @notice Every request hash of `agentId`, oldest first.
    function getAgentValidations(uint256 agentId) external view returns (bytes32[] memory);

    /// @notice Every request hash addressed to `validatorAddress`, oldest first.
    function getValidatorRequests(address validatorAddress) external view returns (bytes32[] memory);

    /// @notice Version of the ERC-8004 reference ABI this registry implements.
    function getVersion() external pure returns (string memory);

    // ─────────────────────────────────────────────────────────────────────────────
    // Extensions
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice Whether the validator has answered `requestHash` (tells "answered 0" from "not answered yet").
    ///         Reverts for an unknown request.
    function hasResponse(bytes32 requestHash) external view returns (bool);

    // ─────────────────────────────────────────────────────────────────────────────
    // Extensions: pagination
    // ─────────────────────────────────────────────────────────────────────────────

    /// @notice `getAgentValidations` page `[offset, offset + limit)`, and the total number of requests.
    function getAgentValidationsPaginated(uint256 agentId, uint256 offset, uint256 limit)
        external
        view
        returns (bytes32[] memory requestHashes, uint256 total);

    /// @notice `getValidatorRequests` page `[offset, offset + limit)`, and the total number of requests.
    function getValidatorRequestsPaginated(address validatorAddress, uint256 offset, uint256 limit)
        external
        view
        returns (bytes32[] memory requestHashes, uint256 total);

    /// @notice `getSummary` over the requests `getAgentValidations(agentId)[offset : offset + limit]`; also
    ///         returns `responseSum` so pages merge exactly (average = total sum / total count, truncating),
    ///         and the agent's total number of requests.
    function getSummaryPaginated(
        uint256 agentId,
        address[] calldata validatorAddresses,
        string calldata tag,
        uint256 offset,
        uint256 limit
    ) external view returns (uint64 count, uint8 avgResponse, uint256 responseSum, uint256 total);
}
