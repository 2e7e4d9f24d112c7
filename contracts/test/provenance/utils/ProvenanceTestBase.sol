// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

import {IdentityRegistry} from "../../../src/identity/IdentityRegistry.sol";
import {AnchorRegistry} from "../../../src/provenance/AnchorRegistry.sol";
import {ProvenanceRegistry} from "../../../src/provenance/ProvenanceRegistry.sol";
import {IProvenanceRegistry} from "../../../src/provenance/interfaces/IProvenanceRegistry.sol";

/// @dev A minimal ERC-1271 contract wallet: valid iff its key signed the hash itself (no extra wrapping).
contract ProvTestWallet is IERC1271 {
    address public immutable key;

    constructor(address key_) {
        key = key_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == key ? IERC1271.isValidSignature.selector : bytes4(0);
    }
}

/// @dev Standard Merkle trees (@openzeppelin/merkle-tree layout: leaves in given order at the end of a heap,
///      `tree[i] = hashPair(tree[2i+1], tree[2i+2])`, sorted-pair keccak), built in Solidity for the tests.
library StdTree {
    function digestLeaf(bytes32 digest) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(digest))));
    }

    /// @dev The heap of a tree over `leaves` (n >= 1); the root is `tree[0]`.
    function build(bytes32[] memory leaves) internal pure returns (bytes32[] memory tree) {
        uint256 n = leaves.length;
        tree = new bytes32[](2 * n - 1);
        for (uint256 i; i < n; ++i) {
            tree[tree.length - 1 - i] = leaves[i];
        }
        for (uint256 i = tree.length - n; i > 0; --i) {
            tree[i - 1] = Hashes.commutativeKeccak256(tree[2 * i - 1], tree[2 * i]);
        }
    }

    /// @dev The proof of leaf `index` (in leaf order), bottom up.
    function proof(bytes32[] memory tree, uint256 index) internal pure returns (bytes32[] memory p) {
        uint256 k = tree.length - 1 - index;
        uint256 depth;
        for (uint256 j = k; j > 0; j = (j - 1) / 2) {
            ++depth;
        }
        p = new bytes32[](depth);
        for (uint256 d; d < depth; ++d) {
            p[d] = tree[k % 2 == 1 ? k + 1 : k - 1];
            k = (k - 1) / 2;
        }
    }
}

/// @dev Shared fixtures: a real IdentityRegistry, both provenance registries and EIP-712 signing helpers.
abstract contract ProvenanceTestBase is Test {
    event RootAnchored(bytes32 indexed root, address indexed submitter, uint64 size, uint48 timestamp);
    event DatasetRegistered(
        bytes32 indexed root,
        bytes32 indexed parent,
        address indexed registrant,
        uint32 version,
        uint64 fileCount,
        uint128 totalBytes,
        string name,
        string uri
    );
    event ModelRegistered(
        bytes32 indexed weightsDigest,
        uint256 indexed trainerAgentId,
        address indexed signer,
        bytes32 configDigest,
        bytes32 metricsDigest,
        bytes32 baseModel,
        uint256 computeJobId,
        bytes32[] datasetRoots,
        string name,
        string metrics,
        string uri
    );

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant MODEL_TYPEHASH = keccak256(
        "ModelRecord(bytes32 weightsDigest,uint256 trainerAgentId,bytes32 configDigest,bytes32 metricsDigest,bytes32 baseModel,uint256 computeJobId,bytes32[] datasetRoots,string name,string uri)"
    );
    string internal constant METRICS = '{"accuracy":0.91,"loss":0.23}';

    IdentityRegistry internal identity;
    AnchorRegistry internal anchors;
    ProvenanceRegistry internal prov;

    address internal trainer;
    uint256 internal trainerKey;
    address internal walletKeyAddr;
    uint256 internal walletKey;
    address internal relayer;
    address internal mallory;
    uint256 internal malloryKey;
    uint256 internal agentId;

    function _setUpProvenance() internal {
        vm.warp(1_760_000_000);
        vm.roll(1_000);
        identity = new IdentityRegistry();
        anchors = new AnchorRegistry();
        prov = new ProvenanceRegistry(address(identity));
        (trainer, trainerKey) = makeAddrAndKey("trainer");
        (walletKeyAddr, walletKey) = makeAddrAndKey("trainer-wallet");
        (mallory, malloryKey) = makeAddrAndKey("mallory");
        relayer = makeAddr("relayer");
        vm.prank(trainer);
        agentId = identity.register();
    }

    function _domainSeparator() internal view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("Machina Provenance"), keccak256("1"), block.chainid, address(prov))
        );
    }

    /// @dev The EIP-712 digest, computed independently of the contract.
    function _modelDigest(IProvenanceRegistry.ModelInput memory m) internal view returns (bytes32) {
        bytes32 structHash = keccak256(
            bytes.concat(
                abi.encode(
                    MODEL_TYPEHASH, m.weightsDigest, m.trainerAgentId, m.configDigest, m.metricsDigest, m.baseModel
                ),
                abi.encode(
                    m.computeJobId,
                    keccak256(abi.encodePacked(m.datasetRoots)),
                    keccak256(bytes(m.name)),
                    keccak256(bytes(m.uri))
                )
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", _domainSeparator(), structHash));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _dataset(string memory name, bytes32 root, bytes32 parent) internal returns (uint32) {
        return prov.registerDataset(name, root, parent, 3, 3_000, "http://node/v1/datasets/x/manifest");
    }

    function _model(bytes32 weights, bytes32[] memory roots)
        internal
        view
        returns (IProvenanceRegistry.ModelInput memory m)
    {
        m.weightsDigest = weights;
        m.trainerAgentId = agentId;
        m.configDigest = keccak256("config");
        m.metricsDigest = keccak256(bytes(METRICS));
        m.datasetRoots = roots;
        m.name = "tiny-llm";
        m.metrics = METRICS;
        m.uri = "ipfs://model-card";
    }

    function _one(bytes32 root) internal pure returns (bytes32[] memory a) {
        a = new bytes32[](1);
        a[0] = root;
    }
}
