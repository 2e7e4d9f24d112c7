// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {DataMarket} from "../../../src/data/DataMarket.sol";
import {IDataMarket} from "../../../src/data/interfaces/IDataMarket.sol";
import {SettlementToken} from "../../../src/pay/SettlementToken.sol";
import {ProvenanceRegistry} from "../../../src/provenance/ProvenanceRegistry.sol";

/// @notice Random sequences of listings, consents, revocations, price changes, purchases, model revenue, routing
///         and withdrawals, with an independent model of what every account is owed.
contract DataHandler is Test {
    DataMarket internal market;
    SettlementToken internal token;
    ProvenanceRegistry internal prov;
    address internal seller;
    address internal buyer;
    address public beneficiary;
    bytes32 public digest;

    uint256 internal constant BPS = 10_000;
    uint32 internal constant RESEARCH = 1;
    uint32 internal constant TRAINING = uint32(1 << 31);

    address[] public actors;
    uint256[] public listings;
    // the model's datasets (fixed at setup)
    uint256[] public modelListings;
    uint16[] public modelBps;

    uint256 public paidIn; // prices paid + revenue routed
    uint256 public routedRevenue;
    mapping(address => uint256) public withdrawnBy;
    mapping(address => uint256) public saleExpected;

    uint256 public buys;
    uint256 public routes;
    uint256 public withdrawals;
    uint256 public refusedBuys;
    uint256 internal nonce;

    constructor(
        DataMarket market_,
        SettlementToken token_,
        ProvenanceRegistry prov_,
        address seller_,
        address buyer_,
        address beneficiary_,
        bytes32 digest_,
        address[] memory actors_,
        uint256[] memory modelListings_,
        uint16[] memory modelBps_
    ) {
        market = market_;
        token = token_;
        prov = prov_;
        seller = seller_;
        buyer = buyer_;
        beneficiary = beneficiary_;
        digest = digest_;
        actors = actors_;
        modelListings = modelListings_;
        modelBps = modelBps_;
        for (uint256 i; i < modelListings_.length; ++i) {
            listings.push(modelListings_[i]);
        }
    }

    /// @dev Records a sale made outside the handler (setup), from the licence, independently of the market's split.
    function recordSale(uint256 licenceId) public {
        IDataMarket.Licence memory l = market.getLicence(licenceId);
        IDataMarket.Contributor[] memory cs = market.getContributors(l.listingId);
        uint256 covered;
        for (uint256 i; i < cs.length; ++i) {
            if (l.includedMask & (1 << i) != 0) covered += cs[i].shareBps;
        }
        bool firstSeen;
        uint256 firstIndex;
        uint256 given;
        for (uint256 i; i < cs.length; ++i) {
            if (l.includedMask & (1 << i) == 0) continue;
            if (!firstSeen) {
                (firstSeen, firstIndex) = (true, i);
                continue;
            }
            uint256 part = l.price * cs[i].shareBps / covered;
            saleExpected[cs[i].account] += part;
            given += part;
        }
        saleExpected[cs[firstIndex].account] += l.price - given;
        paidIn += l.price;
    }

    // ─── actions ───

    function publish(uint256 seed) external {
        uint256 n = bound(seed, 1, actors.length);
        bytes32 root = keccak256(abi.encode("handler dataset", ++nonce));
        vm.prank(seller);
        prov.registerDataset("d", root, bytes32(0), 1, 1, "");
        IDataMarket.PublishParams memory p;
        p.root = root;
        p.terms.accessPrice = uint96(bound(seed >> 8, 0, 1_000e6));
        p.terms.trainingPrice = uint96(bound(seed >> 48, 0, 1_000e6));
        p.terms.trainingAllowed = true;
        p.terms.purposes = RESEARCH | 2;
        p.contributors = new IDataMarket.Contributor[](n);
        uint256 left = BPS;
        uint256 offset = seed % actors.length;
        for (uint256 i; i < n; ++i) {
            uint256 share = i == n - 1 ? left : bound(uint256(keccak256(abi.encode(seed, i))), 1, left - (n - 1 - i));
            left -= share;
            p.contributors[i] = IDataMarket.Contributor(actors[(offset + i) % actors.length], uint16(share), bytes32(0));
        }
        vm.prank(seller);
        listings.push(market.publish(p));
    }

    function consent(uint256 listingSeed, uint256 who, bool training) external {
        uint256 id = listings[listingSeed % listings.length];
        IDataMarket.Contributor[] memory cs = market.getContributors(id);
        address a = cs[who % cs.length].account;
        vm.prank(a);
        try market.giveConsent(id, bytes32(0), training ? RESEARCH | 2 | TRAINING : RESEARCH) {} catch {}
    }

    function revoke(uint256 listingSeed, uint256 who) external {
        uint256 id = listings[listingSeed % listings.length];
        IDataMarket.Contributor[] memory cs = market.getContributors(id);
        vm.prank(cs[who % cs.length].account);
        try market.revokeConsent(id) {} catch {}
    }

    function setPrice(uint256 listingSeed, uint96 price) external {
        uint256 id = listings[listingSeed % listings.length];
        IDataMarket.Terms memory t = market.getTerms(id);
        t.accessPrice = uint96(bound(price, 0, 1_000_000e6));
        t.trainingPrice = uint96(bound(uint256(price) * 7, 0, 1_000_000e6));
        vm.prank(seller);
        market.setTerms(id, t);
    }

    function buy(uint256 listingSeed, bool training, bool clinical) external {
        uint256 id = listings[listingSeed % listings.length];
        IDataMarket.LicenceKind kind = training ? IDataMarket.LicenceKind.Training : IDataMarket.LicenceKind.Access;
        uint32 purposes = clinical ? 2 : RESEARCH;
        try market.quote(id, kind, purposes) returns (uint256 price, uint256, uint32 epoch) {
            token.transfer(buyer, price);
            vm.prank(buyer);
            uint256 lic = market.buy(id, kind, purposes, price, epoch);
            recordSale(lic);
            ++buys;
        } catch {
            ++refusedBuys;
        }
    }

    function pay(uint256 amount) external {
        token.transfer(market.getModelRoyalty(digest).vault, amount % (amount % 2 == 0 ? 1e15 : 1_000));
    }

    function route() external {
        uint256 amount = market.routeRevenue(digest);
        routedRevenue += amount;
        paidIn += amount;
        ++routes;
    }

    function withdraw(uint256 who, bool toOther) external {
        address a = who % (actors.length + 1) == actors.length ? beneficiary : actors[who % actors.length];
        uint256 w = market.withdrawableOf(a);
        if (w == 0) return;
        vm.prank(a);
        uint256 got = toOther ? market.withdrawTo(address(0xdead)) : market.withdraw();
        assertEq(got, w);
        withdrawnBy[a] += got;
        ++withdrawals;
    }

    // ─── the model ───

    /// @dev What `a` is owed in total (credited + withdrawn): its sale shares plus its cumulative royalty splits
    ///      (or, for the beneficiary, the model revenue left after the datasets), from the totals alone.
    function expectedCredit(address a) public view returns (uint256 total) {
        total = saleExpected[a];
        uint256 r = routedRevenue;
        uint256 toDatasets;
        for (uint256 j; j < modelListings.length; ++j) {
            uint256 d = r * modelBps[j] / BPS;
            toDatasets += d;
            IDataMarket.Contributor[] memory cs = market.getContributors(modelListings[j]);
            uint256 others;
            for (uint256 i = 1; i < cs.length; ++i) {
                uint256 part = d * cs[i].shareBps / BPS;
                others += part;
                if (cs[i].account == a) total += part;
            }
            if (cs[0].account == a) total += d - others;
        }
        if (a == beneficiary) total += r - toDatasets;
    }

    function accountList() external view returns (address[] memory list) {
        list = new address[](actors.length + 1);
        for (uint256 i; i < actors.length; ++i) {
            list[i] = actors[i];
        }
        list[actors.length] = beneficiary;
    }
}
