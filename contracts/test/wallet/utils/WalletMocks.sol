// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Test doubles for the agent-account suite: an EIP-3009/2612 token accepting ERC-1271, a malicious token that
// re-enters the account, a call recorder, and NFT mocks.

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IAgentAccount} from "../../../src/wallet/interfaces/IAgentAccount.sol";

/// @dev USDC-like: EIP-3009 (bytes-signature overloads) and EIP-2612, all verified through SignatureChecker.
contract WalletTestToken is ERC20, EIP712 {
    bytes32 public constant TRANSFER_WITH_AUTHORIZATION_TYPEHASH = keccak256(
        "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 public constant RECEIVE_WITH_AUTHORIZATION_TYPEHASH = keccak256(
        "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 public constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    mapping(address => mapping(bytes32 => bool)) public authorizationState;
    mapping(address => uint256) public nonces;

    constructor(string memory name_) ERC20(name_, name_) EIP712(name_, "2") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function hashTypedData(bytes32 structHash) external view returns (bytes32) {
        return _hashTypedDataV4(structHash);
    }

    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes memory signature
    ) external {
        _useAuthorization(TRANSFER_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce, signature);
        _transfer(from, to, value);
    }

    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes memory signature
    ) external {
        require(msg.sender == to, "caller must be payee");
        _useAuthorization(RECEIVE_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce, signature);
        _transfer(from, to, value);
    }

    function permit(address owner, address spender, uint256 value, uint256 deadline, bytes memory signature) external {
        require(block.timestamp <= deadline, "expired");
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, nonces[owner]++, deadline)));
        require(SignatureChecker.isValidSignatureNow(owner, digest, signature), "bad signature");
        _approve(owner, spender, value);
    }

    function _useAuthorization(
        bytes32 typehash,
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes memory signature
    ) private {
        require(block.timestamp > validAfter && block.timestamp < validBefore, "outside validity");
        require(!authorizationState[from][nonce], "authorization used");
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(typehash, from, to, value, validAfter, validBefore, nonce)));
        require(SignatureChecker.isValidSignatureNow(from, digest, signature), "bad signature");
        authorizationState[from][nonce] = true;
    }
}

/// @dev A token under an attacker's control that is ALSO the compromised agent key: on every transfer it tries to
///      re-enter the account as the key (executeAsAgent / authorizeTokenSignature) to move more than the caps.
contract ReentrantToken is ERC20 {
    IAgentAccount public account;
    uint256 public reentryAttempts;
    uint256 public reentrySuccesses;
    bool private _inside;

    constructor() ERC20("Evil", "EVL") {}

    function setAccount(IAgentAccount account_) external {
        account = account_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return keccak256(abi.encode(address(this), block.chainid));
    }

    /// @dev The compromised key's entry point: spend `amount` (within caps) and re-enter from inside the transfer.
    function attack(uint256 amount) external returns (bool executed) {
        IAgentAccount.Call[] memory calls = new IAgentAccount.Call[](1);
        calls[0] = IAgentAccount.Call(address(this), 0, abi.encodeCall(this.transfer, (address(this), amount)));
        (executed,) = account.executeAsAgent(address(this), calls);
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        bool ok = super.transfer(to, value);
        if (msg.sender == address(account) && !_inside) {
            _inside = true;
            IAgentAccount.Call[] memory calls = new IAgentAccount.Call[](1);
            calls[0] = IAgentAccount.Call(address(this), 0, abi.encodeCall(this.transfer, (address(this), value)));
            ++reentryAttempts;
            try account.executeAsAgent(address(this), calls) returns (bool executed, uint256) {
                if (executed) ++reentrySuccesses;
            } catch {}
            ++reentryAttempts;
            try account.authorizeTokenSignature(
                address(this), 0, address(this), address(this), value, 0, type(uint256).max, bytes32(value)
            ) returns (bytes32 digest, uint256) {
                if (digest != bytes32(0)) ++reentrySuccesses;
            } catch {}
            _inside = false;
        }
        return ok;
    }
}

/// @dev A contract the account calls; records the last call.
contract CallRecorder {
    uint256 public calls;
    bytes public lastData;
    uint256 public lastValue;

    function ping(uint256 x) external payable returns (uint256) {
        ++calls;
        lastData = msg.data;
        lastValue = msg.value;
        return x + 1;
    }

    function setPair(address a, uint256 b) external {
        ++calls;
        lastData = abi.encode(a, b);
    }

    function fail() external pure {
        revert("recorder failed");
    }

    receive() external payable {
        ++calls;
        lastValue = msg.value;
    }
}

contract WalletTestNFT is ERC721 {
    constructor() ERC721("NFT", "NFT") {}

    function mint(address to, uint256 id) external {
        _safeMint(to, id);
    }
}

contract WalletTestMulti is ERC1155 {
    constructor() ERC1155("") {}

    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }
}
