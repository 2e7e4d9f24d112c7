// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {IdentityRegistry} from "../../../src/identity/IdentityRegistry.sol";
import {AnchorRegistry} from "../../../src/provenance/AnchorRegistry.sol";
import {ProvenanceRegistry} from "../../../src/provenance/ProvenanceRegistry.sol";
import {IAnchorRegistry} from "../../../src/provenance/interfaces/IAnchorRegistry.sol";
import {IProvenanceRegistry} from "../../../src/provenance/interfaces/IProvenanceRegistry.sol";

/// @dev Drives both registries with random, often invalid, calls and keeps ghost copies of what the first
///      successful call of each key recorded, plus a count of outcomes that contradict the rules.
contract ProvenanceHandler is Test {
    AnchorRegistry public immutable anchors;
    ProvenanceRegistry public immutable prov;
    IdentityRegistry public immutable identity;

    uint256 internal constant POOL = 12; // small pools so that repeats and collisions happen often
    uint256 internal constant KEYS = 3;

    uint256[KEYS] internal keys;
    uint256 public agentId;

    bytes32[] public anchoredRoots;
    mapping(bytes32 => IAnchorRegistry.Anchor) public ghostAnchor;

    bytes32[] public datasetRoots;
    mapping(bytes32 => bytes32) public ghostParent;
    mapping(bytes32 => uint32) public ghostVersion;

    bytes32[] public models;
    mapping(bytes32 => address) public ghostSigner;

    /// @dev Calls whose outcome contradicts the rules (an accepted invalid call or a refused valid one).
    uint256 public violations;
    uint256 public successes;
    uint256 public walletSigned;

    constructor(AnchorRegistry anchors_, ProvenanceRegistry prov_, IdentityRegistry identity_) {
        anchors = anchors_;
        prov = prov_;
        identity = identity_;
        for (uint256 i; i < KEYS; ++i) {
            keys[i] = 0xA11CE + i;
        }
        vm.prank(vm.addr(keys[0]));
        agentId = identity.register();
    }

    function anchoredCount() external view returns (uint256) {
        return anchoredRoots.length;
    }

    function datasetCount() external view returns (uint256) {
        return datasetRoots.length;
    }

    function modelCount() external view returns (uint256) {
        return models.length;
    }

    function _root(uint256 seed) internal pure returns (bytes32) {
        uint256 i = seed % (POOL + 1);
        return i == POOL ? bytes32(0) : keccak256(abi.encode("root", i));
    }

    // ------------------------------------------------------------------ actions

    function anchor(uint256 rootSeed, uint64 size, address who, uint32 dt) external {
        vm.warp(block.timestamp + (dt % 1 days));
        vm.roll(block.number + 1);
        bytes32 root = _root(rootSeed);
        size = uint64(bound(size, 0, 3));
        bool expectOk = root != bytes32(0) && size != 0 && ghostAnchor[root].timestamp == 0;
        vm.prank(who);
        try anchors.anchor(root, size) {
            if (!expectOk) ++violations;
            ++successes;
            ghostAnchor[root] = IAnchorRegistry.Anchor({
                submitter: who, timestamp: uint48(block.timestamp), blockNumber: uint48(block.number)
            });
            anchoredRoots.push(root);
        } catch {
            if (expectOk) ++violations;
        }
    }

    function registerDataset(uint256 rootSeed, uint256 parentSeed, uint64 files) external {
        bytes32 root = _root(rootSeed);
        // A third each: no parent, a registered version, any root of the pool (mostly unknown parents).
        bytes32 parent = parentSeed % 3 == 0
            ? bytes32(0)
            : parentSeed % 3 == 1 && datasetRoots.length != 0
                ? datasetRoots[(parentSeed / 3) % datasetRoots.length]
                : _root(parentSeed / 3);
        files = uint64(bound(files, 0, 5));
        bool expectOk = root != bytes32(0) && files != 0 && ghostVersion[root] == 0
            && (parent == bytes32(0) || ghostVersion[parent] != 0);
        try prov.registerDataset("d", root, parent, files, files * 100, "") returns (uint32 v) {
            if (!expectOk) ++violations;
            ++successes;
            uint32 expected = parent == bytes32(0) ? 1 : ghostVersion[parent] + 1;
            if (v != expected) ++violations;
            ghostVersion[root] = v;
            ghostParent[root] = parent;
            datasetRoots.push(root);
        } catch {
            if (expectOk) ++violations;
        }
    }

    function registerModel(uint256 weightSeed, uint256 dsSeed, uint256 signerSeed, bool tamper) external {
        bytes32 weights = _root(weightSeed ^ 0x5eed);
        bytes32[] memory roots = new bytes32[](1 + dsSeed % 2);
        uint256 known = datasetRoots.length;
        for (uint256 i; i < roots.length; ++i) {
            // Mostly registered datasets (so models do get registered), sometimes any root of the pool.
            roots[i] = known != 0 && (dsSeed >> (8 * i)) % 4 != 0
                ? datasetRoots[(dsSeed >> 32) % known]
                : _root(dsSeed / (i + 3));
        }
        IProvenanceRegistry.ModelInput memory m;
        m.weightsDigest = weights;
        m.trainerAgentId = agentId;
        m.configDigest = keccak256("cfg");
        m.metrics = "{}";
        m.metricsDigest = keccak256("{}");
        m.datasetRoots = roots;
        m.name = "m";

        uint256 key = keys[signerSeed % KEYS];
        address signer = vm.addr(key);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, prov.modelDigest(m));
        if (tamper) m.configDigest = keccak256("tampered");

        address owner = identity.ownerOf(agentId);
        address wallet = identity.getAgentWallet(agentId);
        bool datasetsOk = true;
        for (uint256 i; i < roots.length; ++i) {
            if (ghostVersion[roots[i]] == 0) datasetsOk = false;
        }
        bool expectOk = weights != bytes32(0) && ghostSigner[weights] == address(0) && datasetsOk && !tamper
            && (signer == owner || signer == wallet);
        try prov.registerModel(m, signer, abi.encodePacked(r, s, v)) {
            if (!expectOk) ++violations;
            ++successes;
            ghostSigner[weights] = signer;
            models.push(weights);
            if (signer != owner) ++walletSigned;
        } catch {
            if (expectOk) ++violations;
        }
    }

    /// @dev The owner proves and sets one of the keys as the agent's wallet (a second address that may sign).
    function setWallet(uint256 walletSeed) external {
        address owner = identity.ownerOf(agentId);
        uint256 key = keys[walletSeed % KEYS];
        address wallet = vm.addr(key);
        uint256 deadline = block.timestamp + 60;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)"),
                agentId,
                wallet,
                owner,
                deadline
            )
        );
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("ERC8004IdentityRegistry"),
                keccak256("1"),
                block.chainid,
                address(identity)
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        vm.prank(owner);
        identity.setAgentWallet(agentId, wallet, deadline, abi.encodePacked(r, s, v));
    }

    /// @dev Moves the agent between the keys: who may sign for it changes over time.
    function transferAgent(uint256 toSeed) external {
        address owner = identity.ownerOf(agentId);
        address to = vm.addr(keys[toSeed % KEYS]);
        if (to == owner) return;
        vm.prank(owner);
        identity.transferFrom(owner, to, agentId);
    }
}
