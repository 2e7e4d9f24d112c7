// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IERC3009, IERC3009Cancel} from "@openzeppelin/contracts/interfaces/draft-IERC3009.sol";

/// @title SettlementToken
/// @notice "Machina USD" (mUSD, 6 decimals): a USDC stand-in for the devnet and tests. ERC-20, EIP-2612 permit and
///         EIP-3009 transfer/receive/cancel with authorization, with the function set of USDC v2.2 (FiatTokenV2_2):
///         every signed entry point exists as a `(v, r, s)` overload and a `bytes signature` overload, and every
///         signature is checked with OZ `SignatureChecker`, so contract accounts sign through ERC-1271.
/// @dev EIP-712 domain: {name: "Machina USD", version: "2", chainId, verifyingContract: this}, as USDC (the x402
///      `exact` scheme sends them as `extra.name` / `extra.version`). A `(v, r, s)` signature of an account with
///      code is passed to ERC-1271 as the 65 bytes `r ‖ s ‖ v`, as USDC v2.2 does: the official x402 facilitator
///      picks that overload for every 65-byte signature, smart-wallet ones included. ERC-6492 wrappers are not
///      unwrapped here (the facilitator unwraps them and deploys the account first).
///      EIP-3009 nonces are stored as a bitmap (word = nonce >> 8, bit = nonce & 0xff): a random nonce costs one
///      fresh slot as with a `bool` mapping, while nonces of one authorizer that share their upper 248 bits share a
///      slot. `authorizationState` semantics are unchanged.
///      The faucet exists only when deployed with `faucetEnabled` (the devnet); `mint` is owner-only.
contract SettlementToken is ERC20, EIP712, Nonces, Ownable, IERC20Permit, IERC3009, IERC3009Cancel {
    /// @notice Most a single `faucet` call can mint: 1,000,000 tokens.
    uint256 public constant FAUCET_CAP = 1_000_000 * 10 ** 6;

    /// @notice EIP-2612 permit type hash.
    bytes32 public constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    /// @notice EIP-3009 `transferWithAuthorization` type hash.
    bytes32 public constant TRANSFER_WITH_AUTHORIZATION_TYPEHASH = keccak256(
        "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    /// @notice EIP-3009 `receiveWithAuthorization` type hash.
    bytes32 public constant RECEIVE_WITH_AUTHORIZATION_TYPEHASH = keccak256(
        "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    /// @notice EIP-3009 `cancelAuthorization` type hash.
    bytes32 public constant CANCEL_AUTHORIZATION_TYPEHASH =
        keccak256("CancelAuthorization(address authorizer,bytes32 nonce)");

    /// @notice Whether `faucet` works (true only on the devnet deployment).
    bool public immutable faucetEnabled;

    /// @dev authorizer => nonce >> 8 => bitmap of used/canceled nonces (bit = nonce & 0xff).
    mapping(address authorizer => mapping(uint256 word => uint256 bits)) private _authorizations;

    /// @notice `faucet` minted `amount` to `to`.
    event FaucetDrip(address indexed to, uint256 amount);

    /// @notice The signature does not match the signer (ECDSA) or was refused by the signer contract (ERC-1271).
    error InvalidSignature();
    /// @notice A permit was used after its `deadline`.
    error PermitExpired(uint256 deadline);
    /// @notice The authorization's `validAfter` has not passed yet.
    error AuthorizationNotYetValid(uint256 validAfter);
    /// @notice The authorization's `validBefore` has passed.
    error AuthorizationExpired(uint256 validBefore);
    /// @notice The authorization nonce was already used or canceled.
    error AuthorizationUsedOrCanceled(address authorizer, bytes32 nonce);
    /// @notice `receiveWithAuthorization` was called by someone other than the payee.
    error CallerNotPayee(address caller, address payee);
    /// @notice The faucet is disabled on this deployment.
    error FaucetDisabled();
    /// @notice A faucet call asked for more than `FAUCET_CAP`.
    error FaucetCapExceeded(uint256 amount, uint256 cap);

    /// @param owner_         Who may `mint`.
    /// @param faucetEnabled_ Enables `faucet` (set only on the devnet).
    constructor(address owner_, bool faucetEnabled_)
        ERC20("Machina USD", "mUSD")
        EIP712("Machina USD", "2")
        Ownable(owner_)
    {
        faucetEnabled = faucetEnabled_;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Metadata
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice 6, as USDC.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice The EIP-712 domain version, "2" (read by x402 facilitators as USDC's `version()`).
    function version() external pure returns (string memory) {
        return "2";
    }

    /// @inheritdoc IERC20Permit
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Supply
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice Mint `amount` to `to`. Owner only.
    /// @param to     Receiver (not zero).
    /// @param amount Base units (6 decimals).
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    /// @notice Mint up to `FAUCET_CAP` to `to`, for anyone, only when the faucet is enabled (devnet).
    /// @param to     Receiver (not zero).
    /// @param amount Base units, at most `FAUCET_CAP`.
    function faucet(address to, uint256 amount) external {
        if (!faucetEnabled) revert FaucetDisabled();
        if (amount > FAUCET_CAP) revert FaucetCapExceeded(amount, FAUCET_CAP);
        _mint(to, amount);
        emit FaucetDrip(to, amount);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // EIP-2612
    // ---------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IERC20Permit
    /// @dev An `owner` with code is checked with ERC-1271 over `r ‖ s ‖ v`.
    function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
    {
        _requireSignature(owner, _permitDigest(owner, spender, value, deadline), v, r, s);
        _approve(owner, spender, value);
    }

    /// @notice EIP-2612 permit with a `bytes` signature: 65-byte ECDSA for an EOA, anything its ERC-1271 accepts
    ///         for a contract account (USDC v2.2 overload).
    /// @param owner     Token owner granting the allowance.
    /// @param spender   Who may spend.
    /// @param value     Allowance.
    /// @param deadline  Last valid timestamp.
    /// @param signature The owner's signature of the EIP-712 `Permit`.
    function permit(address owner, address spender, uint256 value, uint256 deadline, bytes calldata signature)
        external
    {
        _requireSignature(owner, _permitDigest(owner, spender, value, deadline), signature);
        _approve(owner, spender, value);
    }

    /// @inheritdoc IERC20Permit
    function nonces(address owner) public view override(IERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // EIP-3009
    // ---------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IERC3009
    function authorizationState(address authorizer, bytes32 nonce) external view returns (bool) {
        return _authorizations[authorizer][uint256(nonce) >> 8] & (1 << (uint256(nonce) & 0xff)) != 0;
    }

    /// @inheritdoc IERC3009
    /// @dev A `from` with code is checked with ERC-1271 over `r ‖ s ‖ v`.
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        bytes32 digest = _authorizationDigest(
            TRANSFER_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce
        );
        _requireSignature(from, digest, v, r, s);
        _useAuthorization(from, to, value, validAfter, validBefore, nonce);
    }

    /// @notice EIP-3009 transfer with a `bytes` signature: 65-byte ECDSA for an EOA, anything its ERC-1271 accepts
    ///         for a contract account (USDC v2.2 overload; what x402 facilitators call for non-65-byte signatures).
    /// @param from        Payer (the signer).
    /// @param to          Payee.
    /// @param value       Amount.
    /// @param validAfter  The authorization is valid strictly after this timestamp.
    /// @param validBefore The authorization is valid strictly before this timestamp.
    /// @param nonce       Unique per payer; usable once.
    /// @param signature   The payer's signature of the EIP-712 `TransferWithAuthorization`.
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external {
        bytes32 digest = _authorizationDigest(
            TRANSFER_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce
        );
        _requireSignature(from, digest, signature);
        _useAuthorization(from, to, value, validAfter, validBefore, nonce);
    }

    /// @inheritdoc IERC3009
    /// @dev The caller must be `to`. A `from` with code is checked with ERC-1271 over `r ‖ s ‖ v`.
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        if (to != msg.sender) revert CallerNotPayee(msg.sender, to);
        bytes32 digest =
            _authorizationDigest(RECEIVE_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce);
        _requireSignature(from, digest, v, r, s);
        _useAuthorization(from, to, value, validAfter, validBefore, nonce);
    }

    /// @notice EIP-3009 receive (the caller must be the payee) with a `bytes` signature (USDC v2.2 overload).
    /// @param from        Payer (the signer).
    /// @param to          Payee, must be the caller.
    /// @param value       Amount.
    /// @param validAfter  The authorization is valid strictly after this timestamp.
    /// @param validBefore The authorization is valid strictly before this timestamp.
    /// @param nonce       Unique per payer; usable once.
    /// @param signature   The payer's signature of the EIP-712 `ReceiveWithAuthorization`.
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external {
        if (to != msg.sender) revert CallerNotPayee(msg.sender, to);
        bytes32 digest =
            _authorizationDigest(RECEIVE_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce);
        _requireSignature(from, digest, signature);
        _useAuthorization(from, to, value, validAfter, validBefore, nonce);
    }

    /// @inheritdoc IERC3009Cancel
    function cancelAuthorization(address authorizer, bytes32 nonce, uint8 v, bytes32 r, bytes32 s) external {
        _requireSignature(authorizer, _cancelDigest(authorizer, nonce), v, r, s);
        _consumeAuthorization(authorizer, nonce);
        emit AuthorizationCanceled(authorizer, nonce);
    }

    /// @notice Cancel an unused authorization with a `bytes` signature (USDC v2.2 overload).
    /// @param authorizer The payer whose nonce is canceled (the signer).
    /// @param nonce      The nonce to burn.
    /// @param signature  The authorizer's signature of the EIP-712 `CancelAuthorization`.
    function cancelAuthorization(address authorizer, bytes32 nonce, bytes calldata signature) external {
        _requireSignature(authorizer, _cancelDigest(authorizer, nonce), signature);
        _consumeAuthorization(authorizer, nonce);
        emit AuthorizationCanceled(authorizer, nonce);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------------

    /// @dev Checks the deadline, consumes the owner's permit nonce and returns the EIP-712 digest.
    function _permitDigest(address owner, address spender, uint256 value, uint256 deadline) private returns (bytes32) {
        if (block.timestamp > deadline) revert PermitExpired(deadline);
        return
            _hashTypedDataV4(keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, _useNonce(owner), deadline)));
    }

    function _authorizationDigest(
        bytes32 typeHash,
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce
    ) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(typeHash, from, to, value, validAfter, validBefore, nonce)));
    }

    function _cancelDigest(address authorizer, bytes32 nonce) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CANCEL_AUTHORIZATION_TYPEHASH, authorizer, nonce)));
    }

    /// @dev Checks the validity window, burns the nonce, emits `AuthorizationUsed` and moves the tokens.
    function _useAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce
    ) private {
        if (block.timestamp <= validAfter) revert AuthorizationNotYetValid(validAfter);
        if (block.timestamp >= validBefore) revert AuthorizationExpired(validBefore);
        _consumeAuthorization(from, nonce);
        emit AuthorizationUsed(from, nonce);
        _transfer(from, to, value);
    }

    function _consumeAuthorization(address authorizer, bytes32 nonce) private {
        mapping(uint256 => uint256) storage words = _authorizations[authorizer];
        uint256 word = uint256(nonce) >> 8;
        uint256 bit = 1 << (uint256(nonce) & 0xff);
        uint256 bits = words[word];
        if (bits & bit != 0) revert AuthorizationUsedOrCanceled(authorizer, nonce);
        words[word] = bits | bit;
    }

    /// @dev ECDSA for an account without code, else ERC-1271 over the packed `r ‖ s ‖ v`.
    function _requireSignature(address signer, bytes32 digest, uint8 v, bytes32 r, bytes32 s) private view {
        bool ok;
        if (signer.code.length == 0) {
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v, r, s);
            ok = err == ECDSA.RecoverError.NoError && recovered == signer;
        } else {
            ok = SignatureChecker.isValidERC1271SignatureNow(signer, digest, abi.encodePacked(r, s, v));
        }
        if (!ok) revert InvalidSignature();
    }

    function _requireSignature(address signer, bytes32 digest, bytes calldata signature) private view {
        if (!SignatureChecker.isValidSignatureNowCalldata(signer, digest, signature)) revert InvalidSignature();
    }
}
