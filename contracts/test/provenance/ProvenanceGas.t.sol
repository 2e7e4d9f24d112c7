// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

import {AnchorRegistry} from "../../src/provenance/AnchorRegistry.sol";
import {ProvenanceRegistry} from "../../src/provenance/ProvenanceRegistry.sol";
import {IProvenanceRegistry} from "../../src/provenance/interfaces/IProvenanceRegistry.sol";
import {ProvenanceTestBase, StdTree} from "./utils/ProvenanceTestBase.sol";

/// @notice Gas of the provenance registries, for the README figures and `npm run gas`.
/// @dev Method (as in X402SettlementGas): every account and slot the call touches is made cold (`vm.cool`), one
///      call is made, and the callee frame's execution gas is read with `vm.lastCallGas().gasTotalUsed`. A
///      transaction's figure adds the intrinsic 21,000 and its calldata (4 gas per zero byte, 16 per non-zero
///      byte; EIP-7623's floor of 21,000 + 10 per token is applied when it binds). For `verify`, which other
///      contracts call rather than transactions, the figure that matters is the callee's execution gas; its
///      calldata is reported separately.
contract ProvenanceGasTest is ProvenanceTestBase {
    uint256 internal constant DEPTH = 20;

    struct TxGas {
        uint256 execution;
        uint256 calldataGas;
        uint256 total;
    }

    function setUp() public {
        _setUpProvenance();
    }

    function _measure(address target, bytes memory data) internal returns (TxGas memory g) {
        vm.cool(address(anchors));
        vm.cool(address(prov));
        vm.cool(address(identity));
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        g.execution = vm.lastCallGas().gasTotalUsed;
        uint256 tokens;
        for (uint256 i; i < data.length; ++i) {
            if (data[i] == 0) {
                g.calldataGas += 4;
                tokens += 1;
            } else {
                g.calldataGas += 16;
                tokens += 4;
            }
        }
        g.total = 21_000 + g.calldataGas + g.execution;
        uint256 floorGas = 21_000 + 10 * tokens;
        if (floorGas > g.total) g.total = floorGas;
    }

    function _log(string memory label, TxGas memory g) internal pure {
        console2.log(label);
        console2.log("  execution", g.execution);
        console2.log("  calldata ", g.calldataGas);
        console2.log("  tx total ", g.total);
    }

    /// @dev A depth-20 proof (a leaf of a 2^20-leaf tree): random siblings, root computed bottom up with the
    ///      same sorted-pair hash the standard tree uses.
    function _depth20() internal pure returns (bytes32 digest, bytes32[] memory proof, bytes32 root) {
        digest = keccak256("the digest");
        proof = new bytes32[](DEPTH);
        root = StdTree.digestLeaf(digest);
        for (uint256 i; i < DEPTH; ++i) {
            proof[i] = keccak256(abi.encode("sibling", i));
            root = Hashes.commutativeKeccak256(root, proof[i]);
        }
    }

    function test_Gas_anchor_oneRoot() public {
        bytes32 root = keccak256("batch of 1M digests");
        vm.prank(relayer);
        TxGas memory g = _measure(address(anchors), abi.encodeCall(AnchorRegistry.anchor, (root, 1_000_000)));
        _log("anchor one root (1 cold SSTORE + event)", g);
        console2.log("  per digest at 1M digests, x1e6", g.total); // tx gas / 1e6 digests, in micro-gas
        assertTrue(anchors.isAnchored(root));
        assertLt(g.execution, 30_000, "one cold SSTORE plus an event");
    }

    function test_Gas_verify_depth20() public {
        (bytes32 digest, bytes32[] memory proof, bytes32 root) = _depth20();
        anchors.anchor(root, 1 << 20);
        TxGas memory g = _measure(address(anchors), abi.encodeCall(AnchorRegistry.verify, (proof, root, digest)));
        _log("verify, depth-20 proof (execution = the call alone; calldata if sent as a tx)", g);
        assertTrue(anchors.verify(proof, root, digest));
        assertLe(g.execution, 30_000, "goal: on-chain verification of a depth-20 proof <= 30k gas");
    }

    function test_Gas_requireAnchored_depth20() public {
        (bytes32 digest, bytes32[] memory proof, bytes32 root) = _depth20();
        anchors.anchor(root, 1 << 20);
        TxGas memory g =
            _measure(address(anchors), abi.encodeCall(AnchorRegistry.requireAnchored, (proof, root, digest)));
        _log("requireAnchored, depth-20 proof", g);
        assertLe(g.execution, 30_000);
    }

    function test_Gas_registerDataset() public {
        bytes memory data = abi.encodeCall(
            ProvenanceRegistry.registerDataset,
            (
                "imagenet-mini",
                keccak256("manifest root"),
                bytes32(0),
                10_000,
                5 << 30,
                "http://127.0.0.1:8788/v1/datasets/0x1234/manifest"
            )
        );
        vm.prank(relayer);
        TxGas memory g = _measure(address(prov), data);
        _log("registerDataset (first version, 13-byte name, 50-byte uri)", g);
        assertEq(prov.datasetOf(keccak256("manifest root")).version, 1);
    }

    function test_Gas_registerDataset_child() public {
        bytes32 v1 = keccak256("v1");
        prov.registerDataset("imagenet-mini", v1, bytes32(0), 10_000, 5 << 30, "");
        bytes memory data = abi.encodeCall(
            ProvenanceRegistry.registerDataset,
            ("imagenet-mini", keccak256("v2"), v1, 10_001, 5 << 30, "http://127.0.0.1:8788/v1/datasets/0x1234/manifest")
        );
        TxGas memory g = _measure(address(prov), data);
        _log("registerDataset (version 2 with parent)", g);
        assertEq(prov.datasetOf(keccak256("v2")).version, 2);
    }

    function test_Gas_registerModel() public {
        bytes32 v1 = keccak256("v1");
        prov.registerDataset("imagenet-mini", v1, bytes32(0), 10_000, 5 << 30, "");
        IProvenanceRegistry.ModelInput memory m = _model(keccak256("weights"), _one(v1));
        m.computeJobId = 1;
        bytes memory data =
            abi.encodeCall(ProvenanceRegistry.registerModel, (m, trainer, _sign(trainerKey, _modelDigest(m))));
        vm.prank(relayer);
        TxGas memory g = _measure(address(prov), data);
        _log("registerModel (1 dataset, ECDSA owner signature, relayed)", g);
        assertTrue(prov.isModel(keccak256("weights")));
    }
}
