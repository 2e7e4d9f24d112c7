// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC721Utils} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Utils.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";

/// @title IdentityRegistry
/// @notice ERC-8004 "Trustless Agents" Identity Registry (January 2026 revision). Each agent is an ERC-721 token
///         (agentId = tokenId, agentURI = tokenURI) with key/value metadata and a verified payment wallet.
/// @dev ABI- and behaviour-compatible with the canonical `IdentityRegistryUpgradeable` v2.0.0 (same functions, events,
///      ERC-721 name/symbol, ERC-165 ids, ERC-4906 events and EIP-712 domain/typehash), minus its proxy/ownership
///      plumbing: this contract is deployed directly, has no owner and cannot be upgraded. Reverts use custom errors.
///
///      Gas design (no behavioural difference is observable through the ABI):
///      - A self-contained ERC-721 core that keeps, per agent, ONE packed storage word:
///            bits   0..159  owner
///            bits 160..167  agentWallet mode (NONE / OWNER / EXPLICIT)
///            bits 168..199  agentURI length in bytes
///            bits 200..255  the first 7 bytes of the agentURI
///        The rest of the URI lives in 32-byte chunks (`_uriTail`), with no separate length slot. A 66-character
///        `ipfs://` URI therefore takes 3 slots including the owner, against 5 for owner + ERC721URIStorage string.
///      - The default agentWallet (the registrant) is not stored: mode OWNER means "the wallet is the owner", which is
///        exact because every ownership change resets the mode to NONE. Only a proven wallet different from the owner
///        takes a slot (`_explicitWallet`). `getAgentWallet` / `getMetadata(id, "agentWallet")` return exactly what
///        the canonical registry returns, and every `MetadataSet` event of the canonical registry is still emitted.
contract IdentityRegistry is IIdentityRegistry, IERC4906, IERC721Errors, EIP712 {
    // ---------------------------------------------------------------------------------------------------------------
    // Constants
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice EIP-712 typehash of the agentWallet ownership proof (identical to the canonical registry).
    bytes32 public constant AGENT_WALLET_SET_TYPEHASH =
        keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)");

    /// @notice Maximum distance between `block.timestamp` and a wallet proof's deadline.
    uint256 public constant MAX_DEADLINE_DELAY = 5 minutes;

    /// @dev The reserved metadata key and its hash.
    string private constant AGENT_WALLET_KEY = "agentWallet";
    bytes32 private constant AGENT_WALLET_KEY_HASH = keccak256("agentWallet");

    /// @dev agentWallet modes (bits 160..167 of the agent word).
    uint256 private constant WALLET_NONE = 0; // cleared: getAgentWallet() == address(0)
    uint256 private constant WALLET_OWNER = 1; // the wallet is the current owner (set at registration)
    uint256 private constant WALLET_EXPLICIT = 2; // the wallet is `_explicitWallet[agentId]`

    /// @dev Agent word layout.
    uint256 private constant OWNER_MASK = (1 << 160) - 1;
    uint256 private constant MODE_SHIFT = 160;
    uint256 private constant MODE_MASK = uint256(0xff) << MODE_SHIFT;
    uint256 private constant URI_LENGTH_SHIFT = 168;
    uint256 private constant URI_LENGTH_MASK = uint256(0xffffffff) << URI_LENGTH_SHIFT;
    /// @dev Number of URI bytes kept in the agent word; URI byte `i >= URI_HEAD_BYTES` lives in tail chunk
    ///      `(i - URI_HEAD_BYTES) / 32`.
    uint256 private constant URI_HEAD_BYTES = 7;

    // ---------------------------------------------------------------------------------------------------------------
    // Storage
    // ---------------------------------------------------------------------------------------------------------------

    /// @dev Number of agents registered so far == next agentId.
    uint256 private _nextAgentId;

    /// @dev agentId => packed agent word (see layout above). Zero for unknown agents.
    mapping(uint256 agentId => uint256 word) private _agents;

    /// @dev agentId => chunk index => 32 bytes of the agentURI following its 7-byte head (right-padded with zeros).
    ///      Chunks beyond the current length may hold stale bytes of a longer previous URI; they are never read.
    mapping(uint256 agentId => mapping(uint256 chunk => bytes32)) private _uriTail;

    /// @dev agentId => proven wallet; only meaningful while the agent's wallet mode is WALLET_EXPLICIT.
    mapping(uint256 agentId => address wallet) private _explicitWallet;

    /// @dev agentId => metadataKey => metadataValue (never holds the reserved key).
    mapping(uint256 agentId => mapping(string metadataKey => bytes metadataValue)) private _metadata;

    /// @dev ERC-721 bookkeeping.
    mapping(address owner => uint256) private _balances;
    mapping(uint256 agentId => address) private _tokenApprovals;
    mapping(address owner => mapping(address operator => bool)) private _operatorApprovals;

    // ---------------------------------------------------------------------------------------------------------------
    // Construction
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice Deploys the registry. No arguments, no owner, not upgradeable.
    constructor() EIP712("ERC8004IdentityRegistry", "1") {}

    // ---------------------------------------------------------------------------------------------------------------
    // ERC-8004: registration
    // ---------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function register() external returns (uint256 agentId) {
        agentId = _mint(0);
        emit Registered(agentId, "", msg.sender);
        _emitDefaultWallet(agentId);
        ERC721Utils.checkOnERC721Received(msg.sender, address(0), msg.sender, agentId, "");
    }

    /// @inheritdoc IIdentityRegistry
    function register(string calldata agentURI) external returns (uint256 agentId) {
        agentId = _mint(_packURI(agentURI));
        _storeURITail(agentId, agentURI);
        emit MetadataUpdate(agentId);
        emit Registered(agentId, agentURI, msg.sender);
        _emitDefaultWallet(agentId);
        ERC721Utils.checkOnERC721Received(msg.sender, address(0), msg.sender, agentId, "");
    }

    /// @inheritdoc IIdentityRegistry
    function register(string calldata agentURI, MetadataEntry[] calldata metadata)
        external
        returns (uint256 agentId)
    {
        agentId = _mint(_packURI(agentURI));
        _storeURITail(agentId, agentURI);
        emit MetadataUpdate(agentId);
        emit Registered(agentId, agentURI, msg.sender);
        _emitDefaultWallet(agentId);

        uint256 count = metadata.length;
        for (uint256 i; i < count; ++i) {
            MetadataEntry calldata entry = metadata[i];
            _setMetadata(agentId, entry.metadataKey, entry.metadataValue);
        }
        ERC721Utils.checkOnERC721Received(msg.sender, address(0), msg.sender, agentId, "");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // ERC-8004: agent URI and metadata
    // ---------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function setAgentURI(uint256 agentId, string calldata newURI) external {
        uint256 word = _authorizedWord(agentId);
        _agents[agentId] = (word & (OWNER_MASK | MODE_MASK)) | _packURI(newURI);
        _storeURITail(agentId, newURI);
        emit MetadataUpdate(agentId);
        emit URIUpdated(agentId, newURI, msg.sender);
    }

    /// @inheritdoc IIdentityRegistry
    function getMetadata(uint256 agentId, string calldata metadataKey) external view returns (bytes memory) {
        if (keccak256(bytes(metadataKey)) == AGENT_WALLET_KEY_HASH) {
            address wallet = _walletOf(agentId, _agents[agentId]);
            return wallet == address(0) ? bytes("") : abi.encodePacked(wallet);
        }
        return _metadata[agentId][metadataKey];
    }

    /// @inheritdoc IIdentityRegistry
    function setMetadata(uint256 agentId, string calldata metadataKey, bytes calldata metadataValue) external {
        _authorizedWord(agentId);
        _setMetadata(agentId, metadataKey, metadataValue);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // ERC-8004: agent wallet
    // ---------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function setAgentWallet(uint256 agentId, address newWallet, uint256 deadline, bytes calldata signature) external {
        uint256 word = _authorizedWord(agentId);
        if (newWallet == address(0)) revert IdentityZeroWallet();
        if (deadline < block.timestamp) revert IdentityDeadlineExpired(deadline, block.timestamp);
        uint256 maxDeadline = block.timestamp + MAX_DEADLINE_DELAY;
        if (deadline > maxDeadline) revert IdentityDeadlineTooFar(deadline, maxDeadline);

        address owner = address(uint160(word));
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(AGENT_WALLET_SET_TYPEHASH, agentId, newWallet, owner, deadline)));
        // Like the canonical registry: ECDSA first (EOAs, including EIP-7702 delegated EOAs), then ERC-1271.
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (
            (err != ECDSA.RecoverError.NoError || recovered != newWallet)
                && !SignatureChecker.isValidERC1271SignatureNowCalldata(newWallet, digest, signature)
        ) revert IdentityInvalidWalletSignature(agentId, newWallet);

        uint256 mode = WALLET_OWNER;
        if (newWallet != owner) {
            mode = WALLET_EXPLICIT;
            _explicitWallet[agentId] = newWallet;
        }
        _agents[agentId] = (word & ~MODE_MASK) | (mode << MODE_SHIFT);
        emit MetadataSet(agentId, AGENT_WALLET_KEY, AGENT_WALLET_KEY, abi.encodePacked(newWallet));
    }

    /// @inheritdoc IIdentityRegistry
    function getAgentWallet(uint256 agentId) external view returns (address) {
        return _walletOf(agentId, _agents[agentId]);
    }

    /// @inheritdoc IIdentityRegistry
    function unsetAgentWallet(uint256 agentId) external {
        uint256 word = _authorizedWord(agentId);
        _agents[agentId] = word & ~MODE_MASK;
        emit MetadataSet(agentId, AGENT_WALLET_KEY, AGENT_WALLET_KEY, "");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Canonical helpers
    // ---------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function isAuthorizedOrOwner(address spender, uint256 agentId) external view returns (bool) {
        address owner = _requireOwned(agentId);
        return _isAuthorized(owner, spender, agentId);
    }

    /// @inheritdoc IIdentityRegistry
    function getVersion() external pure returns (string memory) {
        return "2.0.0";
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Machina extras
    // ---------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IIdentityRegistry
    function totalAgents() external view returns (uint256) {
        return _nextAgentId;
    }

    /// @inheritdoc IIdentityRegistry
    function agentsOf(address owner, uint256 cursor, uint256 scanLimit)
        external
        view
        returns (uint256[] memory agentIds, uint256 nextCursor)
    {
        uint256 total = _nextAgentId;
        if (cursor >= total) return (new uint256[](0), total);
        nextCursor = scanLimit > total - cursor ? total : cursor + scanLimit;
        agentIds = new uint256[](nextCursor - cursor);
        uint256 found;
        for (uint256 id = cursor; id < nextCursor; ++id) {
            if (address(uint160(_agents[id])) == owner) agentIds[found++] = id;
        }
        assembly ("memory-safe") {
            mstore(agentIds, found) // shrink to the number of matches
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // ERC-165 / ERC-721 metadata
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice ERC-165: ERC-165, ERC-721, ERC-721 Metadata and ERC-4906 (same set as the canonical registry).
    /// @param interfaceId The interface id.
    /// @return True if supported.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC721).interfaceId
            || interfaceId == type(IERC721Metadata).interfaceId || interfaceId == bytes4(0x49064906);
    }

    /// @notice ERC-721 collection name.
    /// @return "AgentIdentity"
    function name() external pure returns (string memory) {
        return "AgentIdentity";
    }

    /// @notice ERC-721 collection symbol.
    /// @return "AGENT"
    function symbol() external pure returns (string memory) {
        return "AGENT";
    }

    /// @notice The agentURI of `agentId` (empty until set). Reverts with `ERC721NonexistentToken` for unknown agents.
    /// @param agentId The agent.
    /// @return uri The agent registration-file URI.
    function tokenURI(uint256 agentId) external view returns (string memory uri) {
        uint256 word = _agents[agentId];
        if (word == 0) revert ERC721NonexistentToken(agentId);
        uint256 length = (word & URI_LENGTH_MASK) >> URI_LENGTH_SHIFT;
        uint256 chunks = length > URI_HEAD_BYTES ? (length - URI_HEAD_BYTES + 31) >> 5 : 0;
        mapping(uint256 => bytes32) storage tail = _uriTail[agentId];
        assembly ("memory-safe") {
            uri := mload(0x40)
            mstore(uri, length)
            let data := add(uri, 0x20)
            // Head: the first 7 bytes of the word; the owner/mode/length bytes after it are overwritten by the first
            // chunk or by the zero padding below.
            mstore(data, word)
            mstore(0x20, tail.slot)
            for { let i := 0 } lt(i, chunks) { i := add(i, 1) } {
                mstore(0x00, i)
                mstore(add(data, add(7, shl(5, i))), sload(keccak256(0x00, 0x40)))
            }
            // Zero the padding after the string (the last chunk may extend up to 38 bytes past `length`; those bytes
            // lie beyond the new free memory pointer, which memory-safe code may use as scratch space).
            mstore(add(data, length), 0)
            mstore(0x40, add(data, and(add(length, 31), not(31))))
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // ERC-721
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice ERC-721: number of agents owned by `owner`.
    /// @param owner The owner (must not be the zero address).
    /// @return The balance.
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert ERC721InvalidOwner(address(0));
        return _balances[owner];
    }

    /// @notice ERC-721: owner of `agentId`. Reverts with `ERC721NonexistentToken` for unknown agents.
    /// @param agentId The agent.
    /// @return The owner.
    function ownerOf(uint256 agentId) external view returns (address) {
        return _requireOwned(agentId);
    }

    /// @notice ERC-721: approves `to` to manage `agentId` (transfer it and act on its URI, metadata and wallet).
    /// @dev Caller must be the owner or an approved-for-all operator. Cleared on transfer.
    /// @param to The address to approve (zero to clear).
    /// @param agentId The agent.
    function approve(address to, uint256 agentId) external {
        address owner = _requireOwned(agentId);
        if (msg.sender != owner && !_operatorApprovals[owner][msg.sender]) revert ERC721InvalidApprover(msg.sender);
        _tokenApprovals[agentId] = to;
        emit Approval(owner, to, agentId);
    }

    /// @notice ERC-721: the token-approved address of `agentId`. Reverts for unknown agents.
    /// @param agentId The agent.
    /// @return The approved address (zero if none).
    function getApproved(uint256 agentId) external view returns (address) {
        _requireOwned(agentId);
        return _tokenApprovals[agentId];
    }

    /// @notice ERC-721: grants or revokes `operator` control over all of the caller's agents.
    /// @param operator The operator (must not be the zero address).
    /// @param approved True to grant, false to revoke.
    function setApprovalForAll(address operator, bool approved) external {
        if (operator == address(0)) revert ERC721InvalidOperator(address(0));
        _operatorApprovals[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    /// @notice ERC-721: whether `operator` may manage all agents of `owner`.
    /// @param owner The owner.
    /// @param operator The operator.
    /// @return True if approved.
    function isApprovedForAll(address owner, address operator) external view returns (bool) {
        return _operatorApprovals[owner][operator];
    }

    /// @notice ERC-721: transfers `agentId` from `from` to `to`. Clears the agentWallet (emits `MetadataSet` with an
    ///         empty value) and the token approval.
    /// @param from The current owner.
    /// @param to The recipient (must not be the zero address).
    /// @param agentId The agent.
    function transferFrom(address from, address to, uint256 agentId) public {
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        uint256 word = _agents[agentId];
        address owner = address(uint160(word));
        if (!_isAuthorized(owner, msg.sender, agentId)) {
            if (owner == address(0)) revert ERC721NonexistentToken(agentId);
            revert ERC721InsufficientApproval(msg.sender, agentId);
        }
        if (owner != from) revert ERC721IncorrectOwner(from, agentId, owner);

        // Same order as the canonical registry: the wallet is cleared before the ERC-721 state changes.
        emit MetadataSet(agentId, AGENT_WALLET_KEY, AGENT_WALLET_KEY, "");
        if (_tokenApprovals[agentId] != address(0)) delete _tokenApprovals[agentId];
        unchecked {
            --_balances[from];
            ++_balances[to];
        }
        // New owner, wallet mode NONE, URI untouched.
        _agents[agentId] = (word & ~(OWNER_MASK | MODE_MASK)) | uint160(to);
        emit Transfer(from, to, agentId);
    }

    /// @notice ERC-721: `transferFrom`, then `onERC721Received` on `to` if it is a contract.
    /// @param from The current owner.
    /// @param to The recipient.
    /// @param agentId The agent.
    function safeTransferFrom(address from, address to, uint256 agentId) external {
        transferFrom(from, to, agentId);
        ERC721Utils.checkOnERC721Received(msg.sender, from, to, agentId, "");
    }

    /// @notice ERC-721: `transferFrom`, then `onERC721Received(data)` on `to` if it is a contract.
    /// @param from The current owner.
    /// @param to The recipient.
    /// @param agentId The agent.
    /// @param data Passed to the receiver.
    function safeTransferFrom(address from, address to, uint256 agentId, bytes calldata data) external {
        transferFrom(from, to, agentId);
        ERC721Utils.checkOnERC721Received(msg.sender, from, to, agentId, data);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------------

    /// @dev Mints the next agent to the caller with the given URI bits and wallet mode OWNER; emits `Transfer`.
    ///      The caller emits the ERC-8004 events and runs the receiver check last (checks-effects-interactions).
    function _mint(uint256 uriBits) private returns (uint256 agentId) {
        unchecked {
            agentId = _nextAgentId++;
            ++_balances[msg.sender];
        }
        _agents[agentId] = uriBits | (WALLET_OWNER << MODE_SHIFT) | uint160(msg.sender);
        emit Transfer(address(0), msg.sender, agentId);
    }

    /// @dev The URI length and 7-byte head, positioned as in the agent word.
    ///      (A URI longer than 2^32-1 bytes cannot be sent: its calldata alone would cost > 68 billion gas.)
    function _packURI(string calldata uri) private pure returns (uint256) {
        return uint256(bytes32(bytes7(bytes(uri)))) | (bytes(uri).length << URI_LENGTH_SHIFT);
    }

    /// @dev Writes the URI bytes after the 7-byte head into consecutive 32-byte chunks (last one zero-padded).
    function _storeURITail(uint256 agentId, string calldata uri) private {
        uint256 length = bytes(uri).length;
        if (length <= URI_HEAD_BYTES) return;
        mapping(uint256 => bytes32) storage tail = _uriTail[agentId];
        uint256 chunk;
        for (uint256 offset = URI_HEAD_BYTES; offset < length; offset += 32) {
            tail[chunk++] = bytes32(bytes(uri)[offset:]);
        }
    }

    /// @dev Stores one (non-reserved) metadata entry and emits `MetadataSet`.
    function _setMetadata(uint256 agentId, string calldata key, bytes calldata value) private {
        if (keccak256(bytes(key)) == AGENT_WALLET_KEY_HASH) revert IdentityReservedKey(key);
        _metadata[agentId][key] = value;
        emit MetadataSet(agentId, key, key, value);
    }

    /// @dev `MetadataSet` for the default wallet (the registrant) set at registration.
    function _emitDefaultWallet(uint256 agentId) private {
        emit MetadataSet(agentId, AGENT_WALLET_KEY, AGENT_WALLET_KEY, abi.encodePacked(msg.sender));
    }

    /// @dev The agent word, after checking that the agent exists (`ERC721NonexistentToken`) and that the caller is
    ///      its owner, an approved-for-all operator or its token-approved address (`IdentityNotAuthorized`).
    function _authorizedWord(uint256 agentId) private view returns (uint256 word) {
        word = _agents[agentId];
        address owner = address(uint160(word));
        if (owner == address(0)) revert ERC721NonexistentToken(agentId);
        if (!_isAuthorized(owner, msg.sender, agentId)) revert IdentityNotAuthorized(agentId, msg.sender);
    }

    /// @dev ERC-721 authorisation of `spender` for an existing agent owned by `owner`.
    function _isAuthorized(address owner, address spender, uint256 agentId) private view returns (bool) {
        return spender != address(0)
            && (spender == owner || _operatorApprovals[owner][spender] || _tokenApprovals[agentId] == spender);
    }

    /// @dev The owner of `agentId`, reverting with `ERC721NonexistentToken` if it does not exist.
    function _requireOwned(uint256 agentId) private view returns (address owner) {
        owner = address(uint160(_agents[agentId]));
        if (owner == address(0)) revert ERC721NonexistentToken(agentId);
    }

    /// @dev The agentWallet encoded by an agent word.
    function _walletOf(uint256 agentId, uint256 word) private view returns (address) {
        uint256 mode = (word & MODE_MASK) >> MODE_SHIFT;
        if (mode == WALLET_OWNER) return address(uint160(word));
        if (mode == WALLET_EXPLICIT) return _explicitWallet[agentId];
        return address(0);
    }
}
