// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAnchorRegistry} from "../../src/provenance/interfaces/IAnchorRegistry.sol";
import {ProvenanceTestBase, StdTree} from "./utils/ProvenanceTestBase.sol";

/// @dev A contract that accepts a payload only with provenance, as the registry's NatSpec suggests.
contract ProvGatedConsumer {
    IAnchorRegistry public immutable registry;
    uint48 public acceptedAt;

    constructor(IAnchorRegistry registry_) {
        registry = registry_;
    }

    function accept(bytes32[] calldata proof, bytes32 root, bytes32 digest) external {
        acceptedAt = registry.requireAnchored(proof, root, digest);
    }
}

contract AnchorRegistryTest is ProvenanceTestBase {
    bytes32 internal constant ROOT = keccak256("batch root");

    function setUp() public {
        _setUpProvenance();
    }

    // ------------------------------------------------------------------ anchor

    function test_anchor_recordsAndEmits() public {
        vm.expectEmit(address(anchors));
        emit RootAnchored(ROOT, relayer, 42, uint48(block.timestamp));
        vm.prank(relayer);
        anchors.anchor(ROOT, 42);

        IAnchorRegistry.Anchor memory a = anchors.anchorOf(ROOT);
        assertEq(a.submitter, relayer);
        assertEq(a.timestamp, uint48(block.timestamp));
        assertEq(a.blockNumber, uint48(block.number));
        assertTrue(anchors.isAnchored(ROOT));
    }

    function test_anchor_packsOneSlot() public {
        vm.record();
        vm.prank(relayer);
        anchors.anchor(ROOT, 1);
        (, bytes32[] memory writes) = vm.accesses(address(anchors));
        assertEq(writes.length, 1, "one storage write");
        bytes32 word = vm.load(address(anchors), writes[0]);
        assertEq(address(uint160(uint256(word))), relayer);
        assertEq(uint48(uint256(word) >> 160), uint48(block.timestamp));
        assertEq(uint48(uint256(word) >> 208), uint48(block.number));
    }

    function test_anchor_anyoneMayAnchor() public {
        vm.prank(mallory);
        anchors.anchor(ROOT, 1);
        assertEq(anchors.anchorOf(ROOT).submitter, mallory);
    }

    function test_anchor_revertsOnZeroRoot() public {
        vm.expectRevert(IAnchorRegistry.EmptyRoot.selector);
        anchors.anchor(bytes32(0), 1);
    }

    function test_anchor_revertsOnEmptyBatch() public {
        vm.expectRevert(IAnchorRegistry.EmptyBatch.selector);
        anchors.anchor(ROOT, 0);
    }

    function test_anchor_revertsWhenAlreadyAnchored_firstStands() public {
        uint48 first = uint48(block.timestamp);
        vm.prank(relayer);
        anchors.anchor(ROOT, 1);
        vm.warp(block.timestamp + 100);
        vm.roll(block.number + 10);
        vm.expectRevert(abi.encodeWithSelector(IAnchorRegistry.RootAlreadyAnchored.selector, ROOT, first));
        vm.prank(mallory);
        anchors.anchor(ROOT, 7);
        IAnchorRegistry.Anchor memory a = anchors.anchorOf(ROOT);
        assertEq(a.submitter, relayer);
        assertEq(a.timestamp, first);
    }

    function test_anchorOf_unknownIsZero() public view {
        IAnchorRegistry.Anchor memory a = anchors.anchorOf(ROOT);
        assertEq(a.submitter, address(0));
        assertEq(a.timestamp, 0);
        assertEq(a.blockNumber, 0);
        assertFalse(anchors.isAnchored(ROOT));
    }

    // ------------------------------------------------------------------ leaves and proofs

    function test_digestLeaf_isStandardLeaf() public view {
        bytes32 d = keccak256("file");
        assertEq(anchors.digestLeaf(d), keccak256(bytes.concat(keccak256(abi.encode(d)))));
    }

    /// @dev Vector from @openzeppelin/merkle-tree 1.0.8: StandardMerkleTree.of([[0x11..11],[0x22..22],[0x33..33]],
    ///      ['bytes32'], { sortLeaves: false }).root, so the Solidity tree and the JS library agree.
    function test_standardTree_matchesOpenZeppelinVector() public pure {
        bytes32[] memory leaves = new bytes32[](3);
        leaves[0] =
            StdTree.digestLeaf(bytes32(uint256(0x1111111111111111111111111111111111111111111111111111111111111111)));
        leaves[1] =
            StdTree.digestLeaf(bytes32(uint256(0x2222222222222222222222222222222222222222222222222222222222222222)));
        leaves[2] =
            StdTree.digestLeaf(bytes32(uint256(0x3333333333333333333333333333333333333333333333333333333333333333)));
        bytes32[] memory tree = StdTree.build(leaves);
        assertEq(tree[0], OZ_VECTOR_ROOT);
    }

    bytes32 internal constant OZ_VECTOR_ROOT = 0xa9b9d19e00269b8e357d6b17ae987e7f306e63b8e77615ce706ec522974d2fea;

    function _tree(uint256 n) internal pure returns (bytes32[] memory digests, bytes32[] memory tree) {
        digests = new bytes32[](n);
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            digests[i] = keccak256(abi.encode("digest", i));
            leaves[i] = StdTree.digestLeaf(digests[i]);
        }
        tree = StdTree.build(leaves);
    }

    function test_verify_everyLeafOfSmallTrees() public {
        for (uint256 n = 1; n <= 9; ++n) {
            (bytes32[] memory digests, bytes32[] memory tree) = _tree(n);
            anchors.anchor(tree[0], uint64(n));
            for (uint256 i; i < n; ++i) {
                bytes32[] memory p = StdTree.proof(tree, i);
                assertTrue(anchors.verify(p, tree[0], digests[i]));
                assertEq(anchors.requireAnchored(p, tree[0], digests[i]), uint48(block.timestamp));
            }
        }
    }

    function test_verify_singleLeafTreeHasEmptyProof() public {
        (bytes32[] memory digests, bytes32[] memory tree) = _tree(1);
        assertEq(tree[0], StdTree.digestLeaf(digests[0]));
        anchors.anchor(tree[0], 1);
        assertTrue(anchors.verify(new bytes32[](0), tree[0], digests[0]));
    }

    function test_verify_falseWhenRootNotAnchored() public view {
        (bytes32[] memory digests, bytes32[] memory tree) = _tree(4);
        assertFalse(anchors.verify(StdTree.proof(tree, 1), tree[0], digests[1]));
    }

    function test_verify_falseForOtherDigestOrWrongProof() public {
        (bytes32[] memory digests, bytes32[] memory tree) = _tree(5);
        anchors.anchor(tree[0], 5);
        assertFalse(anchors.verify(StdTree.proof(tree, 1), tree[0], digests[2]));
        bytes32[] memory p = StdTree.proof(tree, 3);
        p[0] = bytes32(uint256(p[0]) ^ 1);
        assertFalse(anchors.verify(p, tree[0], digests[3]));
    }

    function test_verify_innerNodeIsNotALeaf() public {
        // With a caller-hashed leaf, inner node tree[1] would "verify" with the one-step proof [tree[2]].
        // `verify` double-hashes what it is given, so an inner node never passes as a digest.
        (, bytes32[] memory tree) = _tree(4);
        anchors.anchor(tree[0], 4);
        bytes32[] memory p = new bytes32[](1);
        p[0] = tree[2];
        assertFalse(anchors.verify(p, tree[0], tree[1]));
        vm.expectRevert(
            abi.encodeWithSelector(IAnchorRegistry.InvalidProof.selector, tree[0], StdTree.digestLeaf(tree[1]))
        );
        anchors.requireAnchored(p, tree[0], tree[1]);
    }

    function test_standardTree_manifestEntryVector() public pure {
        // A dataset manifest tree: leaves are standard leaves of (string path, uint256 size, bytes32 fileRoot).
        bytes32[] memory leaves = new bytes32[](3);
        leaves[0] = keccak256(bytes.concat(keccak256(abi.encode("a.txt", uint256(10), keccak256("a")))));
        leaves[1] = keccak256(bytes.concat(keccak256(abi.encode("b/c.bin", uint256(2 << 20), keccak256("c")))));
        leaves[2] = keccak256(bytes.concat(keccak256(abi.encode("d", uint256(0), keccak256("d")))));
        bytes32[] memory tree = StdTree.build(leaves);
        // StandardMerkleTree.of(these entries, ['string','uint256','bytes32'], { sortLeaves: false }).root
        assertEq(tree[0], 0xdfe90da1765be694baac8a1aff3d4cf3d5a9d4a0487001c51434c76ea76da3e0);
    }

    function test_requireAnchored_revertsRootNotAnchored() public {
        (bytes32[] memory digests, bytes32[] memory tree) = _tree(2);
        vm.expectRevert(abi.encodeWithSelector(IAnchorRegistry.RootNotAnchored.selector, tree[0]));
        anchors.requireAnchored(StdTree.proof(tree, 0), tree[0], digests[0]);
    }

    function test_requireAnchored_revertsInvalidProof() public {
        (bytes32[] memory digests, bytes32[] memory tree) = _tree(2);
        anchors.anchor(tree[0], 2);
        bytes32 leaf = StdTree.digestLeaf(digests[1]);
        vm.expectRevert(abi.encodeWithSelector(IAnchorRegistry.InvalidProof.selector, tree[0], leaf));
        anchors.requireAnchored(StdTree.proof(tree, 0), tree[0], digests[1]);
    }

    function test_requireAnchored_gatesAnotherContract() public {
        ProvGatedConsumer consumer = new ProvGatedConsumer(anchors);
        (bytes32[] memory digests, bytes32[] memory tree) = _tree(6);
        vm.expectRevert(abi.encodeWithSelector(IAnchorRegistry.RootNotAnchored.selector, tree[0]));
        consumer.accept(StdTree.proof(tree, 4), tree[0], digests[4]);
        anchors.anchor(tree[0], 6);
        consumer.accept(StdTree.proof(tree, 4), tree[0], digests[4]);
        assertEq(consumer.acceptedAt(), uint48(block.timestamp));
    }

    // ------------------------------------------------------------------ fuzz

    /// @dev Random trees of 1..64 digests: every proof verifies; another digest, a flipped proof element,
    ///      a dropped element or an unanchored root all fail.
    function testFuzz_randomTrees_everyProofVerifies(uint256 seed, uint8 size, uint256 pick, uint8 bit) public {
        uint256 n = bound(size, 1, 64);
        bytes32[] memory digests = new bytes32[](n);
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            digests[i] = keccak256(abi.encode(seed, i));
            leaves[i] = StdTree.digestLeaf(digests[i]);
        }
        bytes32[] memory tree = StdTree.build(leaves);
        bytes32 root = tree[0];
        for (uint256 i; i < n; ++i) {
            assertFalse(anchors.verify(StdTree.proof(tree, i), root, digests[i]), "unanchored root");
        }
        anchors.anchor(root, uint64(n));
        for (uint256 i; i < n; ++i) {
            assertTrue(anchors.verify(StdTree.proof(tree, i), root, digests[i]));
        }

        uint256 k = pick % n;
        bytes32[] memory p = StdTree.proof(tree, k);
        bytes32 stranger = keccak256(abi.encode(seed, "stranger"));
        assertFalse(anchors.verify(p, root, stranger), "foreign digest");
        if (n > 1) {
            assertFalse(anchors.verify(p, root, digests[(k + 1) % n]), "another leaf's proof");
            uint256 j = pick % p.length;
            p[j] = p[j] ^ bytes32(uint256(1) << (bit % 256));
            assertFalse(anchors.verify(p, root, digests[k]), "flipped proof bit");
            bytes32[] memory shorter = new bytes32[](p.length - 1);
            bytes32[] memory orig = StdTree.proof(tree, k);
            for (uint256 i; i < shorter.length; ++i) {
                shorter[i] = orig[i];
            }
            assertFalse(anchors.verify(shorter, root, digests[k]), "truncated proof");
        }
    }

    function testFuzz_anchor_recordIsFinal(bytes32 root, uint64 size, address a, address b, uint32 dt) public {
        vm.assume(root != bytes32(0) && size != 0);
        vm.prank(a);
        anchors.anchor(root, size);
        uint48 t = uint48(block.timestamp);
        vm.warp(block.timestamp + uint256(dt) + 1);
        vm.prank(b);
        vm.expectRevert(abi.encodeWithSelector(IAnchorRegistry.RootAlreadyAnchored.selector, root, t));
        anchors.anchor(root, size);
        assertEq(anchors.anchorOf(root).submitter, a);
        assertEq(anchors.anchorOf(root).timestamp, t);
    }
}
