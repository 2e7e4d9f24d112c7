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
///            bits 160..161  agentWallet mode (NONE / OWNER / EXPLICIT)
///            bit  162       agentURI encoding (0 = raw bytes, 1 = packed "ipfs://" + base32 body)
///            bits 168..199  agentURI length (raw: bytes; packed: body characters)
///            bits 200..255  the first 56 bits of the encoded agentURI
///        The rest of the encoded URI lives in 32-byte chunks (`_uriTail`), with no separate length slot.
///      - URIs of the form "ipfs://" + [a-z2-7]* (CIDv1 in base32, the default for current IPFS tooling) are stored
///        5 bits per body character, without the prefix: a 66-character "ipfs://bafy..." URI takes 2 slots including
///        the owner (vs 5 for owner + ERC721URIStorage string). Any other URI is stored raw: 3 slots for 66 bytes.
///        `tokenURI` rebuilds the exact original string in both cases.
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

    /// @dev agentWallet modes (bits 160..161 of the agent word).
    uint256 private constant WALLET_NONE = 0; // cleared: getAgentWallet() == address(0)
    uint256 private constant WALLET_OWNER = 1; // the wallet is the current owner (set at registration)
    uint256 private constant WALLET_EXPLICIT = 2; // the wallet is `_explicitWallet[agentId]`

    /// @dev Agent word layout.
    uint256 private constant OWNER_MASK = (1 << 160) - 1;
    uint256 private constant MODE_SHIFT = 160;
    uint256 private constant MODE_MASK = uint256(3) << MODE_SHIFT;
    uint256 private constant URI_PACKED = 1 << 162;
    uint256 private constant URI_LENGTH_SHIFT = 168;
    /// @dev Bytes of the encoded URI kept in the agent word (its top 56 bits). Encoded byte `i >= 7` lives in tail
    ///      chunk `(i - 7) / 32`.
    uint256 private constant URI_HEAD_BYTES = 7;

    /// @dev URI codec: "ipfs://" as the top 7 bytes of a word, and the constants of the SWAR 5-bit packing
    ///      (32 ASCII characters of [a-z2-7], RFC 4648 base32 lowercase <-> 32 five-bit symbols <-> 160 contiguous
    ///      bits). Inline assembly only accepts literal constants, hence the spelled-out byte patterns.
    uint256 private constant IPFS_PREFIX = 0x697066733a2f2f; // "ipfs://"
    uint256 private constant BYTES_HI = 0x8080808080808080808080808080808080808080808080808080808080808080;
    uint256 private constant BYTES_ONE = 0x0101010101010101010101010101010101010101010101010101010101010101;
    uint256 private constant BYTES_LOW5 = 0x1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f;
    uint256 private constant FILL_A = 0x6161616161616161616161616161616161616161616161616161616161616161; // "aa..a"
    // Per-byte range tests for bytes < 0x80: (b + (0x80 - lo)) has bit 7 set iff b >= lo.
    uint256 private constant ADD_A = 0x1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f; // 0x80 - 'a'
    uint256 private constant ADD_Z1 = 0x0505050505050505050505050505050505050505050505050505050505050505; // 0x80 - '{'
    uint256 private constant ADD_2 = 0x4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e; // 0x80 - '2'
    uint256 private constant ADD_8 = 0x4848484848484848484848484848484848484848484848484848484848484848; // 0x80 - '8'
    uint256 private constant ADD_26 = 0x6666666666666666666666666666666666666666666666666666666666666666; // 0x80 - 26
    // Lane masks: LANE<k> keeps the low k bits of each 2k-bit lane (k = 5 in 16-bit lanes, ..., 80 in the word);
    // LANE<k>_PACK is the same mask shifted up by k bits, LANE<k>_UNPACK shifted up by the lane half-width.
    uint256 private constant LANE5 = 0x001f001f001f001f001f001f001f001f001f001f001f001f001f001f001f001f;
    uint256 private constant LANE10 = 0x000003ff000003ff000003ff000003ff000003ff000003ff000003ff000003ff;
    uint256 private constant LANE20 = 0x00000000000fffff00000000000fffff00000000000fffff00000000000fffff;
    uint256 private constant LANE40 = 0x0000000000000000000000ffffffffff0000000000000000000000ffffffffff;
    uint256 private constant LANE80 = 0x00000000000000000000000000000000000000000000ffffffffffffffffffff;
    uint256 private constant LANE5_PACK = 0x03e003e003e003e003e003e003e003e003e003e003e003e003e003e003e003e0;
    uint256 private constant LANE10_PACK = 0x000ffc00000ffc00000ffc00000ffc00000ffc00000ffc00000ffc00000ffc00;
    uint256 private constant LANE20_PACK = 0x000000fffff00000000000fffff00000000000fffff00000000000fffff00000;
    uint256 private constant LANE40_PACK = 0x000000000000ffffffffff0000000000000000000000ffffffffff0000000000;
    uint256 private constant LANE80_PACK = 0x000000000000000000000000ffffffffffffffffffff00000000000000000000;
    uint256 private constant LANE5_UNPACK = 0x1f001f001f001f001f001f001f001f001f001f001f001f001f001f001f001f00;
    uint256 private constant LANE10_UNPACK = 0x03ff000003ff000003ff000003ff000003ff000003ff000003ff000003ff0000;
    uint256 private constant LANE20_UNPACK = 0x000fffff00000000000fffff00000000000fffff00000000000fffff00000000;
    uint256 private constant LANE40_UNPACK = 0x000000ffffffffff0000000000000000000000ffffffffff0000000000000000;
    uint256 private constant LANE80_UNPACK = 0x000000000000ffffffffffffffffffff00000000000000000000000000000000;

    // ---------------------------------------------------------------------------------------------------------------
    // Storage
    // ---------------------------------------------------------------------------------------------------------------

    /// @dev Number of agents registered so far == next agentId.
    uint256 private _nextAgentId;

    /// @dev agentId => packed agent word (see layout above). Zero for unknown agents.
    mapping(uint256 agentId => uint256 word) private _agents;

    /// @dev agentId => chunk index => 32 bytes of the encoded agentURI following its 7-byte head (zero-padded).
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
        agentId = _nextId();
        _mint(agentId, 0);
        emit Registered(agentId, "", msg.sender);
        _emitDefaultWallet(agentId);
        ERC721Utils.checkOnERC721Received(msg.sender, address(0), msg.sender, agentId, "");
    }

    /// @inheritdoc IIdentityRegistry
    function register(string calldata agentURI) external returns (uint256 agentId) {
        agentId = _nextId();
        _mint(agentId, _storeURI(agentId, agentURI));
        emit MetadataUpdate(agentId);
        emit Registered(agentId, agentURI, msg.sender);
        _emitDefaultWallet(agentId);
        ERC721Utils.checkOnERC721Received(msg.sender, address(0), msg.sender, agentId, "");
    }

    /// @inheritdoc IIdentityRegistry
    function register(string calldata agentURI, MetadataEntry[] calldata metadata) external returns (uint256 agentId) {
        agentId = _nextId();
        _mint(agentId, _storeURI(agentId, agentURI));
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
        _agents[agentId] = (word & (OWNER_MASK | MODE_MASK)) | _storeURI(agentId, newURI);
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
        if (address(uint160(word)) == address(0)) revert ERC721NonexistentToken(agentId);
        uint256 count = uint32(word >> URI_LENGTH_SHIFT);
        bool packed = word & URI_PACKED != 0;
        // Length of the encoded URI (the byte stream split between the word head and the tail chunks).
        uint256 encodedLength = packed ? (count * 5 + 7) >> 3 : count;
        uint256 length = packed ? count + 7 : count;
        uint256 chunks = encodedLength > URI_HEAD_BYTES ? (encodedLength - URI_HEAD_BYTES + 31) >> 5 : 0;
        mapping(uint256 => bytes32) storage tail = _uriTail[agentId];
        assembly ("memory-safe") {
            uri := mload(0x40)
            mstore(uri, length)
            let data := add(uri, 0x20)
            // Raw URIs are reassembled in place; packed ones in scratch memory past the output, then expanded.
            let buf := data
            if packed { buf := add(data, add(length, 0x40)) }
            // Head = top 7 bytes of the word; the bytes after it are overwritten by chunk 0 or ignored.
            mstore(buf, word)
            mstore(0x20, tail.slot)
            for { let i := 0 } lt(i, chunks) { i := add(i, 1) } {
                mstore(0x00, i)
                mstore(add(buf, add(URI_HEAD_BYTES, shl(5, i))), sload(keccak256(0x00, 0x40)))
            }
            if packed {
                mstore(data, shl(200, IPFS_PREFIX))
                for { let j := 0 } lt(shl(5, j), count) { j := add(j, 1) } {
                    // 20 encoded bytes = 32 symbols -> 32 characters.
                    mstore(add(data, add(URI_HEAD_BYTES, shl(5, j))), unpack32(shr(96, mload(add(buf, mul(20, j))))))
                }
            }
            // 160 bits = 32 five-bit symbols -> 32 characters [a-z2-7] (one symbol per byte, then to ASCII).
            function unpack32(v) -> w {
                v := or(and(shl(48, v), LANE80_UNPACK), and(v, LANE80))
                v := or(and(shl(24, v), LANE40_UNPACK), and(v, LANE40))
                v := or(and(shl(12, v), LANE20_UNPACK), and(v, LANE20))
                v := or(and(shl(6, v), LANE10_UNPACK), and(v, LANE10))
                v := or(and(shl(3, v), LANE5_UNPACK), and(v, LANE5))
                // 0..25 -> 'a'..'z' (+0x61), 26..31 -> '2'..'7' (+0x18).
                w := sub(add(v, FILL_A), mul(shr(7, and(add(v, ADD_26), BYTES_HI)), 0x49))
            }
            // Zero the padding after the string (the writes above may run up to 38 bytes past `length`, into memory
            // beyond the new free memory pointer, which memory-safe code may use as scratch space).
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

    /// @dev Allocates the next sequential agentId.
    function _nextId() private returns (uint256 agentId) {
        unchecked {
            agentId = _nextAgentId++;
        }
    }

    /// @dev Mints `agentId` to the caller with the given URI bits and wallet mode OWNER; emits `Transfer`.
    ///      The caller emits the ERC-8004 events and runs the receiver check last (checks-effects-interactions).
    function _mint(uint256 agentId, uint256 uriBits) private {
        unchecked {
            ++_balances[msg.sender];
        }
        _agents[agentId] = uriBits | (WALLET_OWNER << MODE_SHIFT) | uint160(msg.sender);
        emit Transfer(address(0), msg.sender, agentId);
    }

    /// @dev Encodes `uri`, writes its tail chunks and returns the URI bits of the agent word (flag, length, head).
    ///      Encoding: "ipfs://" followed by a body made only of [a-z2-7] is packed 5 bits per body character (the
    ///      prefix is implied); anything else is kept as raw bytes. Chunks past the new length keep stale data of a
    ///      longer previous URI; they are never read. (A URI of 2^32 bytes or more cannot be sent: its calldata alone
    ///      would cost over 68 billion gas, so the 32-bit length field cannot overflow.)
    function _storeURI(uint256 agentId, string calldata uri) private returns (uint256 uriBits) {
        mapping(uint256 => bytes32) storage tail = _uriTail[agentId];
        assembly ("memory-safe") {
            let length := uri.length
            let buf := mload(0x40) // scratch: the encoded URI is assembled past the free memory pointer
            let encodedLength := 0
            if gt(length, URI_HEAD_BYTES) {
                if eq(shr(200, calldataload(uri.offset)), IPFS_PREFIX) {
                    let end := add(uri.offset, length)
                    let rejected := 0
                    let q := buf
                    for { let p := add(uri.offset, URI_HEAD_BYTES) } and(lt(p, end), iszero(rejected)) {
                        p := add(p, 32)
                    } {
                        // 32 body characters per round; a partial last block is padded with 'a' (symbol 0).
                        let w := calldataload(p)
                        let left := sub(end, p)
                        if lt(left, 32) {
                            let keep := not(shr(shl(3, left), not(0)))
                            w := or(and(w, keep), and(FILL_A, not(keep)))
                        }
                        let v, bad := pack32(w)
                        rejected := or(rejected, bad)
                        mstore(q, shl(96, v))
                        q := add(q, 20)
                    }
                    if iszero(rejected) {
                        let n := sub(length, URI_HEAD_BYTES)
                        encodedLength := shr(3, add(mul(n, 5), 7))
                        uriBits := or(URI_PACKED, shl(URI_LENGTH_SHIFT, n))
                    }
                }
            }
            if iszero(uriBits) {
                calldatacopy(buf, uri.offset, length)
                encodedLength := length
                uriBits := shl(URI_LENGTH_SHIFT, length)
            }
            mstore(add(buf, encodedLength), 0) // zero everything a chunk may read past the end
            uriBits := or(uriBits, and(mload(buf), not(sub(shl(200, 1), 1))))
            if gt(encodedLength, URI_HEAD_BYTES) {
                mstore(0x20, tail.slot)
                let chunk := 0
                for { let offset := URI_HEAD_BYTES } lt(offset, encodedLength) { offset := add(offset, 32) } {
                    mstore(0x00, chunk)
                    sstore(keccak256(0x00, 0x40), mload(add(buf, offset)))
                    chunk := add(chunk, 1)
                }
            }
            // 32 characters -> 160 bits (32 five-bit symbols, first character in the top bits); `bad` is non-zero
            // iff a character is outside [a-z2-7].
            function pack32(w) -> v, bad {
                let letters := and(and(add(w, ADD_A), not(add(w, ADD_Z1))), BYTES_HI) // 'a' <= b <= 'z'
                let digits := and(and(add(w, ADD_2), not(add(w, ADD_8))), BYTES_HI) // '2' <= b <= '7'
                bad := and(or(w, not(or(letters, digits))), BYTES_HI)
                // 'a'..'z' -> (b & 31) - 1 = 0..25; '2'..'7' -> (b & 31) - 1 + 9 = 26..31.
                v := add(sub(and(w, BYTES_LOW5), BYTES_ONE), mul(shr(7, digits), 9))
                v := or(and(shr(3, v), LANE5_PACK), and(v, LANE5))
                v := or(and(shr(6, v), LANE10_PACK), and(v, LANE10))
                v := or(and(shr(12, v), LANE20_PACK), and(v, LANE20))
                v := or(and(shr(24, v), LANE40_PACK), and(v, LANE40))
                v := or(and(shr(48, v), LANE80_PACK), and(v, LANE80))
            }
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
